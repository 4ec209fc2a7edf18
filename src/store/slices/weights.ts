/**
 * Each network's initial weights in Configure: random (seeded), or a weights file the user picks.
 * A picked file is checked in the planner worker, on the CPU (format, dtypes, every key and shape
 * against the network as configured), then kept in the origin's storage by the studio worker, and
 * only then named in the spec (`teacher.weights`, `students[k].weights`), so Train and a later
 * Resume find it there.
 *
 * Owns: the weights checks shown per network, and the commands that pick and clear a file.
 */
import { toErrorInfo } from '../../core/errors';
import type { NetworkChoice } from '../../core/config';
import type { ExperimentSpec } from '../../core/spec';
import type { Slice, WeightsSlice, WeightsSlot } from '../state';

function networkAt(spec: ExperimentSpec, slot: WeightsSlot): NetworkChoice | undefined {
  if (slot === 'teacher') return spec.teacher;
  const k = Number(/^students\[(\d+)\]$/.exec(slot)?.[1] ?? NaN);
  return Number.isInteger(k) ? spec.students[k] : undefined;
}

function withWeights(spec: ExperimentSpec, slot: WeightsSlot, weights: string | undefined): ExperimentSpec {
  const set = (n: NetworkChoice): NetworkChoice => {
    const { weights: _old, ...rest } = n;
    return weights ? { ...rest, weights } : rest;
  };
  if (slot === 'teacher') return { ...spec, teacher: set(spec.teacher) };
  const k = Number(/^students\[(\d+)\]$/.exec(slot)![1]);
  return { ...spec, students: spec.students.map((s, j) => (j === k ? set(s) : s)) };
}

export const weightsSlice: Slice<WeightsSlice> = (set, get, deps) => ({
  weightsChecks: {},
  pickWeights: async (slot, file) => {
    const { spec, dataset } = get();
    const net = networkAt(spec, slot);
    if (!net) return;
    const check = { file: file.name, arch: net.arch, width: net.width ?? 1 };
    const update = (c: WeightsSlice['weightsChecks'][string]) => set({ weightsChecks: { ...get().weightsChecks, [slot]: c } });
    update({ ...check, status: 'checking' });
    // A newer pick for the same network wins.
    const current = () => get().weightsChecks[slot]?.file === file.name;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const r = await deps.planner().checkWeights(net, spec.task, dataset?.classNames?.length ?? 2, spec.inputSize, bytes, file.name);
      if (!current()) return;
      if (!r.ok) {
        update({ ...check, status: 'error', error: r.error });
        return;
      }
      const stored = await deps.studio().saveWeights(file.name, bytes);
      if (!current()) return;
      update({ ...check, file: stored, status: 'ok', source: { ...r.source, ...(r.source.kind === 'file' ? { file: stored } : {}) } });
      set({ spec: withWeights(get().spec, slot, stored), preset: 'custom' });
    } catch (e) {
      if (current()) update({ ...check, status: 'error', error: toErrorInfo(e) });
    }
  },
  clearWeights: (slot) => {
    const { [slot]: _gone, ...rest } = get().weightsChecks;
    set({ weightsChecks: rest });
    if (networkAt(get().spec, slot)?.weights) set({ spec: withWeights(get().spec, slot, undefined), preset: 'custom' });
  },
});
