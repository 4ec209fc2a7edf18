/**
 * The curves of Compare: which quantity, network, view (runs or bands), smoothing, scale, x axis
 * and splits are shown, and the CSV of every logged value (`../curves`).
 */
import { curvesCsv, defaultCurveView } from '../curves';
import type { CurvesSlice, Slice } from '../state';

export const curvesSlice: Slice<CurvesSlice> = (set, get) => ({
  curveView: defaultCurveView(),
  setCurveView: (p) => {
    const next = { ...get().curveView, ...p };
    next.smoothing = Math.min(0.999, Math.max(0, Number.isFinite(next.smoothing) ? next.smoothing : 0));
    set({ curveView: next });
  },
  curvesCsv: () => curvesCsv(get().runs),
});
