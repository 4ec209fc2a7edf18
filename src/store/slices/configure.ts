/**
 * The experiment being configured: its spec (a preset or custom), what the training does after a
 * failed run, how often it checkpoints, and the estimate of what it will cost.
 */
import { defaultSpec, parseSpec } from '../../core/spec';
import { estimateExperiment } from '../../experiment/estimate';
import { presetById } from '../../experiment/presets';
import type { ConfigureSlice, Slice } from '../state';

export const configureSlice: Slice<ConfigureSlice> = (set, get, deps) => ({
  spec: defaultSpec(),
  preset: 'v1',
  estimate: null,
  onRunError: 'continue',
  checkpointEverySteps: 200,
  setSpec: (update) => set({ spec: update(get().spec), preset: 'custom' }),
  applyPreset: (id) => {
    const p = presetById(id);
    if (!p) return;
    set({ spec: { ...get().spec, teacher: p.teacher, students: p.students, inputSize: p.inputSize }, preset: id });
  },
  loadSpecText: (text) => {
    try {
      const spec = parseSpec(JSON.parse(text));
      // The validation share is shown in Import settings: it follows the loaded spec.
      set({ spec, preset: 'custom', importSettings: { ...get().importSettings, valShare: spec.data.valShare } });
      return null;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  },
  setTrainingOptions: (p) => set(p),
  refreshEstimate: async () => {
    const { spec, dataset } = get();
    const current = () => get().spec === spec && get().dataset === dataset;
    try {
      const [teacher, ...students] = await deps
        .planner()
        .describe(spec.task, dataset?.classNames?.length ?? 2, spec.inputSize, [spec.teacher, ...spec.students]);
      // A newer spec may have arrived while the planner worked: keep only the latest estimate.
      const test = dataset ? (dataset.givenSplit ? dataset.test : Math.round(dataset.total * spec.data.testShare)) : 0;
      if (current()) set({ estimate: estimateExperiment(spec, teacher, students, dataset?.train ?? 0, test, dataset?.classNames?.length ?? 2) });
    } catch {
      if (current()) set({ estimate: null });
    }
  },
});
