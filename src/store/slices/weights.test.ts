import { describe, expect, it, vi } from 'vitest';
import type { ErrorInfo } from '../../core/errors';
import { createStudioStore, type StudioDeps } from '../studio';

function setup(answer: { ok: true; source: unknown } | { ok: false; error: ErrorInfo }) {
  const saved: { name: string; bytes: number }[] = [];
  const planner = { describe: vi.fn(async () => []), checkWeights: vi.fn(async () => answer) };
  const studio = {
    saveWeights: vi.fn(async (name: string, bytes: Uint8Array) => {
      saved.push({ name, bytes: bytes.length });
      return name;
    }),
  };
  const deps: StudioDeps = {
    studio: () => studio as never,
    restartStudio: () => studio as never,
    planner: () => planner as never,
    proxy: (f) => f,
    folders: { save: async () => {}, load: async () => null },
    confirm: () => true,
    persistStorage: () => {},
    fastKernels: true,
  };
  return { store: createStudioStore(deps), planner, studio, saved };
}

const file = (name: string, n = 16) => new File([new Uint8Array(n)], name);

describe('initial weights in Configure', () => {
  it('a file that fits is checked on the planner, kept by the studio worker, then named in the spec', async () => {
    const source = { kind: 'file', file: 'imagenet.pth', format: 'pytorch', loaded: 100, headReinitialised: 'the head starts from the seed' };
    const { store, planner, saved } = setup({ ok: true, source });
    await store.getState().pickWeights('students[1]', file('imagenet.pth', 32));
    const s = store.getState();
    expect(planner.checkWeights).toHaveBeenCalledWith({ arch: 'resnet34' }, 'classify', 2, 224, expect.any(Uint8Array), 'imagenet.pth');
    expect(saved).toEqual([{ name: 'imagenet.pth', bytes: 32 }]);
    expect(s.spec.students[1].weights).toBe('imagenet.pth');
    expect(s.spec.students[0].weights).toBeUndefined();
    expect(s.spec.teacher.weights).toBeUndefined();
    expect(s.weightsChecks['students[1]']).toMatchObject({ status: 'ok', file: 'imagenet.pth', arch: 'resnet34', source });
    store.getState().clearWeights('students[1]');
    expect(store.getState().spec.students[1].weights).toBeUndefined();
    expect(store.getState().weightsChecks['students[1]']).toBeUndefined();
  });

  it('a file that does not fit leaves the spec as it was and keeps the typed error to show', async () => {
    const error: ErrorInfo = { name: 'EngineError', code: 'WEIGHTS_SHAPE_MISMATCH', message: 'fc.weight is [1000, 2048] ...', subject: 'r50.pth' };
    const { store, saved } = setup({ ok: false, error });
    const before = store.getState().spec;
    await store.getState().pickWeights('teacher', file('r50.pth'));
    expect(store.getState().spec).toBe(before);
    expect(saved).toEqual([]);
    expect(store.getState().weightsChecks.teacher).toMatchObject({ status: 'error', error: { code: 'WEIGHTS_SHAPE_MISMATCH' } });
  });
});
