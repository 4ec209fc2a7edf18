/**
 * Ensembles of the students (docs/METHOD.md): classification by element-wise max of probabilities
 * (the paper's rule) or their mean; detection by the coordinate-wise mean (or median) of boxes.
 */
import * as tf from '@tensorflow/tfjs';

export type EnsembleRule = 'max' | 'mean';
export type BoxEnsembleRule = 'mean' | 'median';

/** Combine [N, C] probability tensors (T = 1) by element-wise max or mean -> [N, C]. */
export function ensembleProbabilities(probabilities: tf.Tensor[], rule: EnsembleRule): tf.Tensor2D {
  if (probabilities.length === 0) throw new Error('ensembleProbabilities needs at least one member');
  return tf.tidy(() => {
    const stacked = tf.stack(probabilities);
    return (rule === 'max' ? tf.max(stacked, 0) : tf.mean(stacked, 0)) as tf.Tensor2D;
  });
}

/** Combine [N, 4] boxes coordinate-wise by mean or median -> [N, 4]. */
export function ensembleBoxes(boxes: tf.Tensor[], rule: BoxEnsembleRule = 'mean'): tf.Tensor2D {
  if (boxes.length === 0) throw new Error('ensembleBoxes needs at least one member');
  return tf.tidy(() => {
    const stacked = tf.stack(boxes); // [K, N, 4]
    if (rule === 'mean') return tf.mean(stacked, 0) as tf.Tensor2D;
    const k = boxes.length;
    // Median along the member axis: sort via topk on the transposed stack.
    const sorted = tf.topk(tf.transpose(stacked, [1, 2, 0]), k).values; // [N, 4, K] descending
    const lo = Math.floor((k - 1) / 2);
    const hi = Math.ceil((k - 1) / 2);
    const a = tf.gather(sorted, lo, 2);
    const b = tf.gather(sorted, hi, 2);
    return tf.div(tf.add(a, b), 2) as tf.Tensor2D;
  });
}

/** Plain-array versions, for evaluation results already read back from the device. */
export function ensembleRows(members: Float32Array[], rule: EnsembleRule): Float32Array {
  const out = new Float32Array(members[0].length);
  for (let i = 0; i < out.length; i++) {
    let acc = rule === 'max' ? -Infinity : 0;
    for (const m of members) acc = rule === 'max' ? Math.max(acc, m[i]) : acc + m[i];
    out[i] = rule === 'max' ? acc : acc / members.length;
  }
  return out;
}

export function ensembleBoxRows(members: Float32Array[], rule: BoxEnsembleRule = 'mean'): Float32Array {
  const out = new Float32Array(members[0].length);
  const vals = new Array<number>(members.length);
  for (let i = 0; i < out.length; i++) {
    for (let k = 0; k < members.length; k++) vals[k] = members[k][i];
    if (rule === 'mean') out[i] = vals.reduce((a, b) => a + b, 0) / vals.length;
    else {
      vals.sort((a, b) => a - b);
      const m = vals.length >> 1;
      out[i] = vals.length % 2 ? vals[m] : (vals[m - 1] + vals[m]) / 2;
    }
  }
  return out;
}
