/**
 * Live state of the training in progress: backend, networks, per-step losses, per-epoch
 * evaluations, status and errors. A vanilla zustand store with a React binding; step events are
 * appended in place and exposed through selectors so long curves do not re-render the whole app.
 */
import { createStore, useStore } from 'zustand';
import type { Evaluation, LossRecord, NetworkInfo, TrainEvent } from '../engine/trainer';
import type { BackendReport, WorkerError } from '../worker/trainer.worker';

export type Status = 'idle' | 'starting' | 'training' | 'done' | 'cancelled' | 'failed';

export interface StepPoint {
  step: number;
  phase: 'teacher' | 'cohort';
  losses: Record<string, LossRecord>;
  imagesPerSec: number;
}

export interface TrainingState {
  status: Status;
  backend: BackendReport | null;
  networks: NetworkInfo[];
  steps: StepPoint[];
  evaluations: Evaluation[];
  totalSteps: number;
  error: WorkerError | null;
  setStatus(s: Status): void;
  setBackend(b: BackendReport): void;
  setError(e: WorkerError | null): void;
  reset(): void;
  onEvent(e: TrainEvent): void;
}

export const trainingStore = createStore<TrainingState>()((set, get) => ({
  status: 'idle',
  backend: null,
  networks: [],
  steps: [],
  evaluations: [],
  totalSteps: 0,
  error: null,
  setStatus: (status) => set({ status }),
  setBackend: (backend) => set({ backend }),
  setError: (error) => set({ error }),
  reset: () => set({ status: 'idle', networks: [], steps: [], evaluations: [], totalSteps: 0, error: null }),
  onEvent: (e) => {
    switch (e.type) {
      case 'start':
        set({ networks: e.networks, totalSteps: e.totalSteps, status: 'training' });
        break;
      case 'step': {
        const steps = get().steps;
        set({ steps: [...steps, { step: steps.length + 1, phase: e.phase, losses: e.losses, imagesPerSec: e.imagesPerSec }] });
        break;
      }
      case 'epoch':
        set({ evaluations: [...get().evaluations, e.evaluation] });
        break;
      case 'done':
        set({ status: 'done' });
        break;
      default:
        break;
    }
  },
}));

export function useTraining<T>(selector: (s: TrainingState) => T): T {
  return useStore(trainingStore, selector);
}
