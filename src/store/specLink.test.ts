import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../core/spec';
import { hasSpecHash, specFromHash, specHash } from './specLink';

const codeAndFields = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    const err = e as { code?: string; issues?: { field: string }[] };
    return { code: err.code, fields: err.issues?.map((i) => i.field) };
  }
  return null;
};

describe('spec links', () => {
  it('a spec survives the round trip through the URL fragment, and the link stays short', () => {
    const spec = defaultSpec({ name: 'Kvasir, 3 seeds / V1', seeds: [0, 1, 2], methods: ['kd', 'kdml_online'] });
    const hash = specHash(spec);
    expect(hash).toMatch(/^#spec=[A-Za-z0-9_-]+$/);
    expect(hash.length).toBeLessThan(JSON.stringify(spec).length);
    expect(hasSpecHash(hash)).toBe(true);
    expect(specFromHash(hash)).toEqual(spec);
  });

  it('a damaged link or a spec with a bad field is INVALID_SPEC naming the field', () => {
    expect(hasSpecHash('#other=1')).toBe(false);
    expect(codeAndFields(() => specFromHash('#spec=not-deflate'))).toEqual({ code: 'INVALID_SPEC', fields: ['link'] });
    expect(codeAndFields(() => specFromHash(specHash(defaultSpec()).slice(0, 40)))).toEqual({ code: 'INVALID_SPEC', fields: ['link'] });
    const bad = specHash({ ...defaultSpec(), hyper: { ...defaultSpec().hyper, lr: -1 } });
    expect(codeAndFields(() => specFromHash(bad))).toEqual({ code: 'INVALID_SPEC', fields: ['hyper.lr'] });
  });
});
