/**
 * Custom TensorFlow.js layers the network zoo needs and tfjs lacks:
 *
 * - `AdaptiveAveragePooling2D`: PyTorch's `AdaptiveAvgPool2d` (channels-last), needed for
 *   torchvision's VGG classifier, whose first Linear always sees 512 x 7 x 7 inputs whatever the
 *   input size.
 * - `SeededDropout`: dropout whose masks come from a seed and a per-layer call counter, so a
 *   training run is reproducible (tfjs's Dropout draws from an unseeded generator).
 * - `SeededStochasticDepth`: torchvision's `StochasticDepth(p, "row")` (EfficientNet's residual
 *   branches), seeded the same way: in training each sample's branch is kept with probability
 *   1 - p and scaled by 1 / (1 - p), or zeroed.
 *
 * Both are registered with `tf.serialization` when this module is imported, which must happen
 * before `tf.loadLayersModel` reads a model that contains them (`registerCustomLayers()` makes
 * that import explicit). No DOM: runs in a Web Worker and in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { markDynamic } from './kernels/replay/dynamic';

type Shape = (number | null)[];
type Kwargs = { [key: string]: unknown };

function single<T>(x: T | T[]): T {
  return Array.isArray(x) ? x[0] : x;
}

/**
 * Pooling matrix [out, in] of PyTorch's adaptive average pooling along one axis: output bin i
 * averages inputs [floor(i*in/out), ceil((i+1)*in/out)).
 */
export function adaptivePoolMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    const w = 1 / (end - start);
    for (let j = start; j < end; j++) m[i * inSize + j] = w;
  }
  return m;
}

/**
 * Adaptive average pooling of an NHWC tensor to [N, outH, outW, C]. Two plain 2-D matMuls with
 * constant pooling matrices: differentiable on every backend, and cheap because the matrices are
 * tiny. When the input already has the output size the matrices are identities, so the input is
 * returned unchanged (a clone) without the arithmetic.
 */
export function adaptiveAvgPool2d(x: tf.Tensor4D, outH: number, outW: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    if (h === outH && w === outW) return x.clone();
    let y: tf.Tensor = x;
    if (h !== outH) {
      // [N,H,W,C] -> [H, N*W*C]; pool H; back to [N,outH,W,C].
      const ph = tf.tensor2d(adaptivePoolMatrix(h, outH), [outH, h]);
      const t = tf.reshape(tf.transpose(y, [1, 0, 2, 3]), [h, n * w * c]);
      y = tf.transpose(tf.reshape(tf.matMul(ph, t), [outH, n, w, c]), [1, 0, 2, 3]);
    }
    if (w !== outW) {
      // [N,outH,W,C] -> [W, N*outH*C]; pool W; back to [N,outH,outW,C].
      const pw = tf.tensor2d(adaptivePoolMatrix(w, outW), [outW, w]);
      const t = tf.reshape(tf.transpose(y, [2, 0, 1, 3]), [w, n * outH * c]);
      y = tf.transpose(tf.reshape(tf.matMul(pw, t), [outW, n, outH, c]), [1, 2, 0, 3]);
    }
    return y as tf.Tensor4D;
  });
}

export interface AdaptiveAveragePooling2DArgs {
  /** Output spatial size: one number for a square output, or [height, width]. */
  outputSize: number | [number, number];
  name?: string;
  trainable?: boolean;
}

/** PyTorch's AdaptiveAvgPool2d for channels-last input [N, H, W, C]. */
export class AdaptiveAveragePooling2D extends tf.layers.Layer {
  static readonly className = 'AdaptiveAveragePooling2D';
  readonly outputSize: [number, number];

  constructor(args: AdaptiveAveragePooling2DArgs) {
    super(args);
    const s = args.outputSize;
    this.outputSize = Array.isArray(s) ? [s[0], s[1]] : [s, s];
    if (!this.outputSize.every((v) => Number.isInteger(v) && v > 0)) {
      throw new Error(`AdaptiveAveragePooling2D: outputSize must be positive integers, got ${JSON.stringify(s)}`);
    }
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [s[0], this.outputSize[0], this.outputSize[1], s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return adaptiveAvgPool2d(single(inputs) as tf.Tensor4D, this.outputSize[0], this.outputSize[1]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outputSize: [this.outputSize[0], this.outputSize[1]] };
  }
}

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Dropout with reproducible masks. Called with `{training: true}` it draws its mask from a seed
 * derived from (seed, number of training calls so far), then advances the counter; in any other
 * call it is the identity. The counter is runtime state, not configuration: a freshly built or
 * loaded layer starts at 0, and `setDropoutCalls` restores it when resuming a run.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className: string = 'SeededDropout';
  readonly rate: number;
  readonly seed: number;
  /** Number of training-mode calls so far; the next mask uses this value. */
  calls = 0;
  /**
   * While true, training-mode calls are the identity too and draw no mask (`suspendDropout`):
   * for comparing training-mode outputs with another library, whose masks come from another
   * generator.
   */
  suspended = false;

  constructor(args: SeededDropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`SeededDropout: rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    this.seed = args.seed >>> 0;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    return tf.tidy(() => {
      if (kwargs?.training !== true || this.rate === 0 || this.suspended) return x.clone();
      // The mask: one value per element (dropout), or per sample, broadcast (stochastic depth).
      const shape = this.noiseShape(x) ?? x.shape.slice();
      const mask = tf.tensor(this.nextMask(shape), shape);
      // A recorded training step (kernels/replay/) replays this upload with the next call's mask.
      markDynamic(mask, () => this.nextMask(shape));
      return tf.mul(x, mask);
    });
  }

  /** The mask's shape: the whole input (dropout); one value per sample in stochastic depth. */
  protected noiseShape(_x: tf.Tensor): number[] | undefined {
    return undefined;
  }

  /**
   * The multiplier of the next training call (0 or 1 / keep), advancing the counter. Computed on
   * the CPU exactly as tf.dropout computes it there (uniforms from `tf.randomUniform` with the
   * same seed, then floor(u + keep) / keep in float32), so every backend multiplies by the same
   * bytes and a replayed step can regenerate them.
   */
  nextMask(shape: number[]): Float32Array {
    // A string seed keeps (seed, call) pairs of different layers from ever colliding, which
    // seed + call would do for layers whose seeds differ by less than the number of steps.
    const maskSeed = `${this.seed}:${this.calls++}`;
    const u = tf.randomUniform(shape, 0, 1, 'float32', maskSeed);
    const values = u.dataSync() as Float32Array;
    u.dispose();
    const keep = Math.fround(1 - this.rate);
    const scale = Math.fround(1 / keep);
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Math.fround(values[i] + keep) >= 1 ? scale : 0;
    return out;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

/**
 * torchvision's `StochasticDepth(p, "row")`: in training, each sample's input (a residual branch)
 * is kept with probability 1 - p and scaled by 1 / (1 - p), or zeroed; the identity otherwise.
 * The mask is one value per sample, seeded and counted exactly as SeededDropout's (it is one, so
 * checkpoints keep its counter too).
 */
export class SeededStochasticDepth extends SeededDropout {
  static override readonly className: string = 'SeededStochasticDepth';

  protected override noiseShape(x: tf.Tensor): number[] {
    return [x.shape[0], ...x.shape.slice(1).map(() => 1)];
  }
}

tf.serialization.registerClass(AdaptiveAveragePooling2D);
tf.serialization.registerClass(SeededDropout);
tf.serialization.registerClass(SeededStochasticDepth);

/**
 * Make sure the custom layers are registered (they are, as a side effect of importing this
 * module); call it before `tf.loadLayersModel` so the import cannot be tree-shaken away.
 */
export function registerCustomLayers(): void {
  // Registration happened at module evaluation; this function exists to anchor the import.
}

function dropoutLayers(model: tf.LayersModel): SeededDropout[] {
  return model.layers.filter((l): l is SeededDropout => l instanceof SeededDropout);
}

/**
 * Turn every SeededDropout (and SeededStochasticDepth) of `model` into the identity in training
 * mode too (`on`), or back. BatchNorm still uses batch statistics: this is how training-mode
 * outputs are compared with PyTorch's, whose masks come from another generator.
 */
export function suspendDropout(model: tf.LayersModel, on: boolean): void {
  for (const l of dropoutLayers(model)) l.suspended = on;
}

/** Set every SeededDropout's call counter to `calls` (0 restarts the mask sequence). */
export function setDropoutCalls(model: tf.LayersModel, calls: number): void {
  for (const l of dropoutLayers(model)) l.calls = calls;
}

/** Restart every SeededDropout's mask sequence, as in a freshly built model. */
export function resetDropoutCounters(model: tf.LayersModel): void {
  setDropoutCalls(model, 0);
}

/** The call counters of the model's SeededDropout layers, by layer name (for checkpoints). */
export function dropoutCalls(model: tf.LayersModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of dropoutLayers(model)) out[l.name] = l.calls;
  return out;
}
