/**
 * The losses of docs/METHOD.md, written once and used by the trainer, the tests and the
 * benchmark. Classification: cross-entropy, tempered KL with stop-gradient targets and batchmean
 * reduction, the student loss of eq. 4 for any K. Detection: smooth-L1 + (1 - GIoU) in place of
 * CE and KL, mirroring eq. 4.
 *
 * Every KL or box-distance target (teacher, peer) goes through `stopGradient`, so a student's loss
 * sends no gradient into the network that produced its target, even when the two are trained in
 * the same tape (online KD+ML, mutual learning).
 */
import * as tf from '@tensorflow/tfjs';

/** Identity forward, zero gradient backward: the target of a distillation term is a constant. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: a.clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/** Cross-entropy between one-hot (or soft) labels and softmax(logits), averaged over the batch. */
export function crossEntropy(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/**
 * KL(p || s) with p = softmax(targetLogits / T) (a constant) and s = softmax(studentLogits / T),
 * summed over classes and averaged over the batch ("batchmean").
 */
export function temperedKL(targetLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(stopGradient(targetLogits), temperature));
    const logS = tf.logSoftmax(tf.div(studentLogits, temperature));
    const p = tf.exp(logP);
    return tf.mean(tf.sum(tf.mul(p, tf.sub(logP, logS)), 1)) as tf.Scalar;
  });
}

export interface StudentLossArgs {
  /** One-hot labels [N, C]. */
  labels: tf.Tensor2D;
  /** This student's logits [N, C]. */
  student: tf.Tensor2D;
  /** The teacher's logits; absent drops the KD term. */
  teacher?: tf.Tensor2D | null;
  /** The other students' logits; empty drops the ML term. */
  peers: tf.Tensor2D[];
  alpha: number;
  beta: number;
  gamma: number;
  temperature: number;
  /** Multiply the KL terms by T^2 (Hinton et al.); off by default, as eq. 4 has none. */
  tSquared?: boolean;
}

/** The terms of one network's loss, each a scalar tensor. */
export interface LossTerms {
  ce: tf.Scalar;
  kd: tf.Scalar;
  ml: tf.Scalar;
  total: tf.Scalar;
}

/** Eq. 4, split into its weighted terms: total = alpha*CE + beta*KD + gamma*ML. */
export function studentLossTerms(a: StudentLossArgs): LossTerms {
  const scale = a.tSquared ? a.temperature * a.temperature : 1;
  const ce = tf.mul(a.alpha, crossEntropy(a.labels, a.student)) as tf.Scalar;
  const kd = a.teacher && a.beta !== 0 ? (tf.mul(a.beta * scale, temperedKL(a.teacher, a.student, a.temperature)) as tf.Scalar) : tf.scalar(0);
  let ml: tf.Scalar = tf.scalar(0);
  if (a.peers.length > 0 && a.gamma !== 0) {
    const kls = a.peers.map((peer) => temperedKL(peer, a.student, a.temperature));
    ml = tf.mul(a.gamma * scale, tf.addN(kls)) as tf.Scalar;
  }
  const total = tf.addN([ce, kd, ml]) as tf.Scalar;
  return { ce, kd, ml, total };
}

/** Eq. 4 as one scalar: alpha*CE(y, s_k) + beta*KL(p || s_k) + gamma * sum_{k'!=k} KL(s_k' || s_k). */
export function studentLoss(a: StudentLossArgs): tf.Scalar {
  return tf.tidy(() => studentLossTerms(a).total);
}

// ---------------------------------------------------------------------------------------------
// Detection

/** Corners (x1, y1, x2, y2) of (cx, cy, w, h) boxes. */
function corners(b: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  const [cx, cy, w, h] = tf.split(b, 4, 1).map((t) => tf.reshape(t, [-1]) as tf.Tensor1D);
  const hw = tf.mul(w, 0.5);
  const hh = tf.mul(h, 0.5);
  return [tf.sub(cx, hw), tf.sub(cy, hh), tf.add(cx, hw), tf.add(cy, hh)];
}

const EPS = 1e-7;

/** Per-row IoU of (cx, cy, w, h) boxes [N, 4] -> [N]. */
export function boxIoU(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => iouParts(a, b).iou);
}

function iouParts(a: tf.Tensor2D, b: tf.Tensor2D) {
  const [ax1, ay1, ax2, ay2] = corners(a);
  const [bx1, by1, bx2, by2] = corners(b);
  const iw = tf.relu(tf.sub(tf.minimum(ax2, bx2), tf.maximum(ax1, bx1)));
  const ih = tf.relu(tf.sub(tf.minimum(ay2, by2), tf.maximum(ay1, by1)));
  const inter = tf.mul(iw, ih);
  const areaA = tf.mul(tf.relu(tf.sub(ax2, ax1)), tf.relu(tf.sub(ay2, ay1)));
  const areaB = tf.mul(tf.relu(tf.sub(bx2, bx1)), tf.relu(tf.sub(by2, by1)));
  const union = tf.sub(tf.add(areaA, areaB), inter);
  const iou = tf.div(inter, tf.add(union, EPS)) as tf.Tensor1D;
  const cw = tf.sub(tf.maximum(ax2, bx2), tf.minimum(ax1, bx1));
  const ch = tf.sub(tf.maximum(ay2, by2), tf.minimum(ay1, by1));
  const enclosing = tf.mul(cw, ch);
  return { iou, union, enclosing };
}

/** Per-row generalised IoU: IoU - (|C| - |A u B|) / |C|, C the smallest enclosing box. */
export function boxGIoU(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const { iou, union, enclosing } = iouParts(a, b);
    return tf.sub(iou, tf.div(tf.sub(enclosing, union), tf.add(enclosing, EPS))) as tf.Tensor1D;
  });
}

/** Smooth-L1 (Huber with beta = 1, PyTorch's default) summed over the 4 numbers -> [N]. */
function smoothL1Rows(target: tf.Tensor2D, pred: tf.Tensor2D): tf.Tensor1D {
  // 0.5 * min(d, 1)^2 + (d - min(d, 1)): 0.5 d^2 below 1, d - 0.5 above; no comparison op, which
  // tfjs cannot differentiate through.
  const d = tf.abs(tf.sub(pred, target));
  const m = tf.minimum(d, 1);
  return tf.sum(tf.add(tf.mul(0.5, tf.square(m)), tf.sub(d, m)), 1) as tf.Tensor1D;
}

/**
 * The regression distance D(target, pred) of docs/METHOD.md: smooth-L1 summed over (cx, cy, w, h)
 * plus (1 - GIoU), averaged over the batch. The target is a constant (stop-gradient).
 */
export function boxDistance(target: tf.Tensor2D, pred: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const t = stopGradient(target);
    return tf.mean(tf.add(smoothL1Rows(t, pred), tf.sub(1, boxGIoU(t, pred)))) as tf.Scalar;
  });
}

export interface BoxLossArgs {
  /** Ground-truth boxes [N, 4] as (cx, cy, w, h) in [0, 1]. */
  target: tf.Tensor2D;
  student: tf.Tensor2D;
  teacher?: tf.Tensor2D | null;
  peers: tf.Tensor2D[];
  alpha: number;
  beta: number;
  gamma: number;
}

/** Eq. 4 for boxes, split into terms: alpha*D(gt, b_k) + beta*D(b_t, b_k) + gamma*sum D(b_k', b_k). */
export function boxLossTerms(a: BoxLossArgs): LossTerms {
  const ce = tf.mul(a.alpha, boxDistance(a.target, a.student)) as tf.Scalar;
  const kd = a.teacher && a.beta !== 0 ? (tf.mul(a.beta, boxDistance(a.teacher, a.student)) as tf.Scalar) : tf.scalar(0);
  let ml: tf.Scalar = tf.scalar(0);
  if (a.peers.length > 0 && a.gamma !== 0) {
    ml = tf.mul(a.gamma, tf.addN(a.peers.map((p) => boxDistance(p, a.student)))) as tf.Scalar;
  }
  const total = tf.addN([ce, kd, ml]) as tf.Scalar;
  return { ce, kd, ml, total };
}

/** Eq. 4 for boxes as one scalar. */
export function boxLoss(a: BoxLossArgs): tf.Scalar {
  return tf.tidy(() => boxLossTerms(a).total);
}
