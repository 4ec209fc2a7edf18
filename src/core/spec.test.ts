import { describe, expect, it } from 'vitest';
import { defaultSpec, parseSpec } from './spec';
import { SpecError } from './errors';

function issuesOf(v: unknown): string[] {
  try {
    parseSpec(v);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as SpecError).issues.map((i) => i.field);
  }
  return [];
}

describe('experiment spec', () => {
  it('a complete spec round-trips through JSON', () => {
    const s = defaultSpec({ seeds: [1, 2], methods: ['kd', 'ml'] });
    expect(parseSpec(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('missing optional fields take the paper defaults', () => {
    const s = parseSpec({ version: 1 });
    expect(s.hyper).toMatchObject({ lr: 0.01, momentum: 0.9, batchSize: 16, temperature: 2, alpha: 0.1, beta: 0.45, gamma: 0.45 });
    expect(s.data.testShare).toBe(0.2);
  });

  it('names each bad field', () => {
    expect(issuesOf({ version: 2 })).toEqual(['version']);
    expect(issuesOf({ version: 1, task: 'segment' })).toEqual(['task']);
    expect(issuesOf({ version: 1, hyper: { lr: -1 } })).toEqual(['hyper.lr']);
    expect(issuesOf({ version: 1, hyper: { epochs: 1.5, batchSize: 'x' } })).toEqual(['hyper.epochs', 'hyper.batchSize']);
    expect(issuesOf({ version: 1, students: [{ arch: 'resnet34' }, { arch: 'resnet9000' }] })).toEqual(['students[1].arch']);
    expect(issuesOf({ version: 1, teacher: { arch: 'alexnet' } })).toEqual(['teacher.arch']);
    expect(issuesOf({ version: 1, methods: ['kd', 'distill'] })).toEqual(['methods[1]']);
    expect(issuesOf({ version: 1, methods: ['ml'], students: [{ arch: 'resnet34' }] })).toEqual(['students']);
    expect(issuesOf({ version: 1, seeds: [1, 1] })).toEqual(['seeds']);
    expect(issuesOf({ version: 1, seeds: [-1] })).toEqual(['seeds[0]']);
    expect(issuesOf({ version: 1, data: { testShare: 0 } })).toEqual(['data.testShare']);
    expect(issuesOf({ version: 1, backend: 'tpu' })).toEqual(['backend']);
    expect(issuesOf({ version: 1, epochs: 3 })).toEqual(['epochs']);
    expect(issuesOf([])).toEqual(['(root)']);
  });

  it('the error message lists every issue', () => {
    try {
      parseSpec({ version: 1, hyper: { lr: 0 }, seeds: [] });
    } catch (e) {
      expect((e as Error).message).toContain('hyper.lr');
      expect((e as Error).message).toContain('seeds');
      return;
    }
    throw new Error('expected a SpecError');
  });

  it('groups, the split rule and small rotations: defaults and bad values', () => {
    const d = parseSpec({ version: 1 });
    expect(d.data).toMatchObject({ groups: 'auto', splitBy: 'group' });
    expect(d.augment).toMatchObject({ hflip: true, vflip: true, rot90: false, rotate: 15, brightness: 0, contrast: 0 });
    expect(parseSpec({ version: 1, data: { groups: 'meta/patients.csv', splitBy: 'image' } }).data).toMatchObject({
      groups: 'meta/patients.csv',
      splitBy: 'image',
    });
    try {
      parseSpec({ version: 1, data: { groups: 3, splitBy: 'patient' }, augment: { rotate: 90 } });
      expect.unreachable();
    } catch (e) {
      expect((e as SpecError).issues.map((i) => i.field).sort()).toEqual(['augment.rotate', 'data.groups', 'data.splitBy']);
    }
  });
});
