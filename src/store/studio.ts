/**
 * The studio's state and commands: a vanilla zustand store made of slices (`slices/`: backend and
 * screen, dataset, configuration, the running experiment, history, results, curves, appearance,
 * the spec as a link), each with the
 * commands that change it. Panels only draw the state and call the commands. The workers and the
 * browser's storage are passed in (`StudioDeps`), so the store runs in unit tests with fakes.
 *
 * Owns: state and commands. Imports core, the tfjs-free parts of data and experiment, and worker
 * types; never TensorFlow.js, never React.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { appearanceSlice } from './slices/appearance';
import { backendSlice } from './slices/backend';
import { configureSlice } from './slices/configure';
import { curvesSlice } from './slices/curves';
import { dataSlice } from './slices/data';
import { experimentSlice } from './slices/experiment';
import { historySlice } from './slices/history';
import { linkSlice } from './slices/link';
import { resultsSlice } from './slices/results';
import { weightsSlice } from './slices/weights';
import type { StudioDeps, StudioState } from './state';

export type { StudioDeps, StudioState } from './state';
export type StudioStore = StoreApi<StudioState>;

export function createStudioStore(deps: StudioDeps): StudioStore {
  return createStore<StudioState>()((set, get) => ({
    ...backendSlice(set, get, deps),
    ...dataSlice(set, get, deps),
    ...configureSlice(set, get, deps),
    ...weightsSlice(set, get, deps),
    ...experimentSlice(set, get, deps),
    ...historySlice(set, get, deps),
    ...resultsSlice(set, get, deps),
    ...curvesSlice(set, get, deps),
    ...appearanceSlice(set, get, deps),
    ...linkSlice(set, get, deps),
  }));
}
