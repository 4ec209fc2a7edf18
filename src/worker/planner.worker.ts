/**
 * Planning off the main thread and off the GPU: builds each network of a spec on the CPU backend
 * with zero weights to count parameters and activations, then frees it. Kept apart from the
 * training worker so planning never competes with a run for GPU memory.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { describeNetwork } from '../engine/networks/zoo';
import type { NetworkChoice } from '../core/config';
import { toErrorInfo, type ErrorInfo } from '../core/errors';
import type { WeightsSource } from '../core/weights';
import { checkWeightsFit } from '../engine/interop/initialWeights';
import { readStateDict } from '../engine/interop/readWeights';

const ready = tf.setBackend('cpu');

const api = {
  async describe(task: 'classify' | 'box', classes: number, inputSize: number, nets: NetworkChoice[]) {
    await ready;
    return nets.map((n) => describeNetwork({ arch: n.arch, width: n.width ?? 1, task, classes: Math.max(2, classes), inputSize }));
  },

  /**
   * Whether a weights file fits a network, here on the CPU: format, dtypes, every key and shape.
   * The answer is data (a typed error keeps its code across the worker boundary).
   */
  async checkWeights(
    net: NetworkChoice,
    task: 'classify' | 'box',
    classes: number,
    inputSize: number,
    bytes: Uint8Array,
    file: string,
  ): Promise<{ ok: true; source: WeightsSource } | { ok: false; error: ErrorInfo }> {
    await ready;
    try {
      const sd = readStateDict(bytes, file);
      return { ok: true, source: checkWeightsFit({ arch: net.arch, width: net.width ?? 1, task, classes: Math.max(2, classes), inputSize }, sd) };
    } catch (e) {
      return { ok: false, error: toErrorInfo(e) };
    }
  },
};

export type PlannerApi = typeof api;
Comlink.expose(api);
