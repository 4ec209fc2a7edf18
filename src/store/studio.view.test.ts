import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../core/spec';
import { specFromHash, specHash } from './specLink';
import { createStudioStore, type StudioDeps } from './studio';

function setup(prefs = new Map<string, string>()) {
  const calls: { name: string; args: unknown[] }[] = [];
  let gradCamFails = false;
  const api = {
    gradCam: async (...args: unknown[]) => {
      calls.push({ name: 'gradCam', args });
      if (gradCamFails) throw { name: 'EngineError', code: 'INVALID_CONFIG', message: 'Grad-CAM explains classifiers' };
      return { key: args[1], indices: args[2], target: args[3], networks: { student1: [] } };
    },
  };
  const deps: StudioDeps = {
    studio: () => api as never,
    restartStudio: () => api as never,
    planner: () => ({}) as never,
    proxy: (f) => f,
    folders: { save: async () => {}, load: async () => null },
    confirm: () => true,
    persistStorage: () => {},
    fastKernels: true,
    prefs: { get: (k) => prefs.get(k) ?? null, set: (k, v) => void prefs.set(k, v) },
  };
  return { store: createStudioStore(deps), calls, prefs, failGradCam: () => (gradCamFails = true) };
}

describe('studio store: tabs, theme, links, saliency, curves', () => {
  it('arrow keys move between tabs and wrap; Home and End go to the ends', () => {
    const { store } = setup();
    expect(store.getState().tab).toBe('Data');
    expect(store.getState().stepTab('previous')).toBe('History');
    expect(store.getState().stepTab('next')).toBe('Data');
    expect(store.getState().stepTab('next')).toBe('Configure');
    expect(store.getState().stepTab('last')).toBe('History');
    expect(store.getState().stepTab('first')).toBe('Data');
    expect(store.getState().tab).toBe('Data');
  });

  it('the theme is the system one until chosen, then kept in this browser', () => {
    const { store, prefs } = setup();
    expect(store.getState().theme).toBe('system');
    store.getState().setTheme('dark');
    expect(prefs.get('cohort-studio-theme')).toBe('dark');
    expect(setup(prefs).store.getState().theme).toBe('dark');
    expect(setup(new Map([['cohort-studio-theme', 'purple']])).store.getState().theme).toBe('system');
  });

  it('a spec link opens in Configure; a bad one keeps the spec and says which field', () => {
    const { store } = setup();
    const shared = defaultSpec({ name: 'shared', seeds: [3, 4] });
    expect(store.getState().openSpecLink('#other=1')).toBe(false);
    expect(store.getState().openSpecLink(specHash(shared))).toBe(true);
    expect(store.getState()).toMatchObject({ spec: shared, preset: 'custom', tab: 'Configure', linkError: null });
    expect(specFromHash(store.getState().specLinkHash())).toEqual(shared);
    const bad = specHash({ ...shared, seeds: [1, 1] });
    expect(store.getState().openSpecLink(bad)).toBe(false);
    expect(store.getState().linkError).toMatchObject({ code: 'INVALID_SPEC', details: { issues: [{ field: 'seeds' }] } });
    expect(store.getState().spec).toEqual(shared);
  });

  it('saliency is asked of the worker once per request; a failure is a typed error', async () => {
    const { store, calls, failGradCam } = setup();
    // Of the experiment shown (its kept runs).
    store.setState({ experimentId: 'exp-1' });
    await store.getState().loadSaliency('ml:0', [3, 5], 'predicted');
    await store.getState().loadSaliency('ml:0', [3, 5], 'predicted');
    expect(calls).toEqual([{ name: 'gradCam', args: ['exp-1', 'ml:0', [3, 5], 'predicted'] }]);
    expect(store.getState().saliency).toMatchObject({ key: 'ml:0', data: { indices: [3, 5] }, error: null });
    failGradCam();
    await store.getState().loadSaliency('ml:0', [3], 1);
    expect(store.getState().saliency).toMatchObject({ data: null, error: { code: 'INVALID_CONFIG' } });
  });

  it('the curve view keeps smoothing in [0, 0.999]; the curves CSV covers the runs in the store', () => {
    const { store } = setup();
    store.getState().setCurveView({ smoothing: 5, mode: 'runs' });
    expect(store.getState().curveView).toMatchObject({ smoothing: 0.999, mode: 'runs' });
    store.getState().setCurveView({ smoothing: -1 });
    expect(store.getState().curveView.smoothing).toBe(0);
    expect(store.getState().curvesCsv()).toBe('run,method,seed,network,term,step,epoch,value\n');
  });
});
