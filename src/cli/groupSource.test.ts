import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../core/spec';
import { main } from './experiment';
import { groupLines, groupSourceOf } from './groupSource';

describe('data.groups on the command line', () => {
  it('"none" and "auto" pass through; a CSV path is read relative to the spec; a missing one names its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cohort-groups-'));
    await mkdir(join(dir, 'meta'));
    await writeFile(join(dir, 'meta', 'patients.csv'), 'file,patient\na.png,P1\n');
    const spec = (groups: string) => defaultSpec({ data: { ...defaultSpec().data, groups } });
    expect(await groupSourceOf(spec('none'), join(dir, 'spec.json'))).toEqual({ kind: 'none' });
    expect(await groupSourceOf(spec('auto'), join(dir, 'spec.json'))).toEqual({ kind: 'auto' });
    expect(await groupSourceOf(spec('meta/patients.csv'), join(dir, 'spec.json'))).toEqual({
      kind: 'csv',
      name: 'meta/patients.csv',
      text: 'file,patient\na.png,P1\n',
    });
    await expect(groupSourceOf(spec('meta/gone.csv'), join(dir, 'spec.json'))).rejects.toThrow(/meta\/gone\.csv/);
    // The runner refuses it before importing or training (exit 2).
    await writeFile(join(dir, 'spec.json'), JSON.stringify({ version: 1, data: { groups: 'meta/gone.csv' }, backend: 'cpu' }));
    await mkdir(join(dir, 'tiles'));
    expect(await main(['--spec', join(dir, 'spec.json'), '--data', join(dir, 'tiles'), '--out', join(dir, 'out'), '--quiet'])).toBe(2);
  });

  it('prints what the import found and how the split treated the groups', () => {
    const lines = groupLines({
      groups: {
        source: 'tcga',
        evidence: ['36 of 36 file name(s) carry a TCGA barcode'],
        groups: 12,
        grouped: 36,
        ungrouped: 0,
        unmatchedRows: 0,
        unmatchedExamples: [],
        splitBy: 'group',
        perSet: { train: 8, val: 2, test: 2 },
        groupsInBoth: 0,
        leakage: 0,
        notes: ['test and validation take whole groups'],
      },
    } as never);
    expect(lines).toEqual([
      'groups: 36 of 36 file name(s) carry a TCGA barcode',
      'groups: 12 group(s); 36 image(s) with a group, 0 without; per set: train 8, validation 2, test 2; groups in both sets: 0',
      'groups: test and validation take whole groups',
    ]);
  });
});
