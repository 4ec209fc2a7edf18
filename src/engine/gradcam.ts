/**
 * Grad-CAM (Selvaraju et al., 2017) on a classifier's last convolutional block: where in the image
 * the network found evidence for a class.
 *
 * For an image and class c, with A the last block's feature map [H, W, K] and y_c the class's logit:
 *   alpha_k = mean over (h, w) of dy_c / dA_hwk;   map = ReLU(sum_k alpha_k A_k)
 * normalised to [0, 1] by its maximum (an all-zero map stays zero). The network runs in inference
 * mode (BatchNorm on its moving statistics, no dropout), so each image's gradient is its own.
 *
 * "The last convolutional block" is found from the head back: the layers after it (global or
 * adaptive pooling, flatten, the classifier's Dense/Dropout layers, the head) form a single chain,
 * and it is the first layer up that chain whose output is a 4-D feature map and that is not a
 * pooling layer (ResNet: layer4's last block; VGG: the last conv; DenseNet: the final ReLU;
 * MobileNetV2 / EfficientNet: the last 1x1 conv block). The feature map is computed with the
 * model's own graph (`model.execute`) and the chain after it is applied layer by layer, so the
 * gradient flows only through the head.
 *
 * Owns: Grad-CAM maps as plain arrays. Imports TensorFlow.js and core; no DOM, no data, no worker.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../core/errors';

/** One image's map at the feature map's resolution. */
export interface GradCamMap {
  /** The class explained. */
  classIndex: number;
  height: number;
  width: number;
  /** Row-major [height, width], in [0, 1]. */
  values: number[];
  /** The map's maximum before normalisation (0: no positive evidence for the class). */
  peak: number;
  /** The network's softmax probability of the class for this image. */
  probability: number;
}

const POOLING = new Set(['MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'AdaptiveAveragePooling2D']);

type Layer = tf.layers.Layer;

function inboundLayers(layer: Layer): Layer[] {
  const node = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes[0];
  return node ? node.inboundLayers : [];
}

function outputRank(layer: Layer): number {
  const shape = layer.outputShape;
  return Array.isArray(shape[0]) ? (shape[0] as unknown[]).length : (shape as unknown[]).length;
}

/** The last convolutional block of a classifier and the chain of layers from it to the logits. */
export function gradCamLayers(model: tf.LayersModel): { feature: Layer; head: Layer[] } {
  if (model.outputs.length !== 1) throw new EngineError('INVALID_CONFIG', `Grad-CAM needs one output; ${model.name} has ${model.outputs.length}`, model.name);
  const head: Layer[] = [];
  let layer = model.outputs[0].sourceLayer as Layer;
  for (;;) {
    if (outputRank(layer) === 4 && !POOLING.has(layer.getClassName())) break;
    const up = inboundLayers(layer);
    if (up.length !== 1) {
      throw new EngineError(
        'INVALID_CONFIG',
        `Grad-CAM needs a single chain of layers after the last convolutional block; ${layer.name} of ${model.name} has ${up.length} inputs`,
        model.name,
      );
    }
    head.unshift(layer);
    layer = up[0];
  }
  if (head.some((l) => l.getClassName() === 'Activation' && (l.getConfig() as { activation?: string }).activation === 'sigmoid')) {
    throw new EngineError('INVALID_CONFIG', `Grad-CAM explains classifiers; ${model.name} regresses boxes`, model.name);
  }
  return { feature: layer, head };
}

/**
 * Grad-CAM maps of a batch of images `x` [N, S, S, 3] (normalised as for training) for one class
 * per image.
 */
export async function gradCam(model: tf.LayersModel, x: tf.Tensor4D, classIndex: readonly number[]): Promise<GradCamMap[]> {
  const n = x.shape[0];
  if (classIndex.length !== n) throw new EngineError('SHAPE_MISMATCH', `Grad-CAM got ${classIndex.length} classes for ${n} images`, model.name);
  const { feature, head } = gradCamLayers(model);
  const classes = (model.outputs[0].shape as number[])[1];
  const bad = classIndex.find((c) => !Number.isInteger(c) || c < 0 || c >= classes);
  if (bad !== undefined) throw new EngineError('LABEL_MISMATCH', `Class ${bad} is outside the ${classes} classes of ${model.name}`, model.name);
  const outputName = (feature.output as tf.SymbolicTensor).name;
  const applyHead = (a: tf.Tensor) => head.reduce((t, l) => l.apply(t, { training: false }) as tf.Tensor, a) as tf.Tensor2D;
  const [maps, probs] = tf.tidy(() => {
    const a = model.execute(x, outputName) as tf.Tensor4D;
    const pick = tf.oneHot(tf.tensor1d(classIndex as number[], 'int32'), classes).toFloat();
    // The sum over images of each image's own logit: images do not interact in inference mode.
    const grads = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(applyHead(f), pick)))(a) as tf.Tensor4D;
    const alpha = tf.mean(grads, [1, 2], true); // [N, 1, 1, K]
    const cam = tf.relu(tf.sum(tf.mul(alpha, a), 3)); // [N, H, W]
    const p = tf.sum(tf.mul(tf.softmax(applyHead(a)), pick), 1); // [N]
    return [cam, p];
  });
  const [h, w] = [maps.shape[1]!, maps.shape[2]!];
  const [values, probabilities] = await Promise.all([maps.data(), probs.data()]);
  tf.dispose([maps, probs]);
  return Array.from({ length: n }, (_, i) => {
    const raw = Array.from(values.subarray(i * h * w, (i + 1) * h * w));
    const peak = raw.reduce((m, v) => Math.max(m, v), 0);
    return { classIndex: classIndex[i], height: h, width: w, values: peak > 0 ? raw.map((v) => v / peak) : raw, peak, probability: probabilities[i] };
  });
}
