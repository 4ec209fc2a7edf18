/**
 * Planning off the main thread and off the GPU: builds each network of a spec on the CPU backend
 * with zero weights to count parameters and activations, then frees it. Kept apart from the
 * training worker so planning never competes with a run for GPU memory.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { describeNetwork } from '../engine/networks/zoo';
import type { NetworkChoice } from '../core/config';

const ready = tf.setBackend('cpu');

const api = {
  async describe(task: 'classify' | 'box', classes: number, inputSize: number, nets: NetworkChoice[]) {
    await ready;
    return nets.map((n) => describeNetwork({ arch: n.arch, width: n.width ?? 1, task, classes: Math.max(2, classes), inputSize }));
  },
};

export type PlannerApi = typeof api;
Comlink.expose(api);
