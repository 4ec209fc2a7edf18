/**
 * tfjs-layers runs a model's graph from a topological sort it caches in a module-wide LRU of 100
 * entries keyed by the names of the model's input and output tensors (`cachedSorted` and
 * `cachedRecipientCounts` in tfjs-layers/src/engine/executor.ts). Every model built gets new
 * tensor names, so each run's networks add entries, and each entry keeps that model's layers,
 * nodes and variable objects alive after `model.dispose()`: the worker's heap grew by every run's
 * graphs (about 400 kB a run for tiny networks, megabytes for ResNet-152) until 100 models had
 * been built. `forgetDisposedGraphs` empties both caches (by setting the flag that sizes them to 0
 * and back); a live model sorts its graph again on its next call, once.
 *
 * Owns: that workaround. Imports TensorFlow.js only.
 */
import * as tf from '@tensorflow/tfjs';

const FLAG = 'TOPOLOGICAL_SORT_CACHE_MAX_ENTRIES';

export function forgetDisposedGraphs(): void {
  const env = tf.env();
  const size = env.getNumber(FLAG);
  env.set(FLAG, 0);
  env.set(FLAG, size);
}
