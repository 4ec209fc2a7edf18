/**
 * The network zoo's public API: build a torchvision-faithful architecture as a tf.LayersModel
 * (channels-last input [inputSize, inputSize, 3]) with a task head, seeded initial weights and
 * deterministic layer names.
 *
 * - Head: 'classify' -> Dense(classes), linear (logits; softmax belongs to the losses);
 *   'box' -> Dense(4) then a sigmoid Activation (cx, cy, w, h in [0, 1]). Its Dense is named
 *   `${prefix}_head` (the sigmoid `${prefix}_head_sigmoid`), so `model.getLayer(prefix + '_head')
 *   .input` is the penultimate feature vector in every architecture.
 * - `prefix` is spec.name (default: the arch) with characters tfjs rejects in weight names
 *   replaced by '_'; the model itself is named spec.name ?? arch.
 * - Width 1 is exactly torchvision's architecture (parameter counts equal torchvision's for the
 *   same number of classes).
 *
 * Dropout layers (VGG classifier, EfficientNet, MobileNetV2) are `SeededDropout`: active only when
 * the model is called with `{training: true}` (`model.apply(x, {training: true})`), which also
 * puts BatchNormalization in batch-statistics mode. No DOM: runs in a Web Worker and in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../../core/errors';
import { initializeWeights } from '../init';
import '../customLayers';
import { NetBuilder, type Trunk } from './builder';
import { buildDenseNet } from './densenet';
import { buildEfficientNet } from './efficientnet';
import { buildMobileNetV2 } from './mobilenetv2';
import { buildResNet } from './resnet';
import { buildVgg } from './vgg';

import { ARCHS, isArch, type Arch, type Task } from '../../core/archs';

export { ARCHS, isArch };
export type { Arch, Task };

export interface NetworkSpec {
  arch: Arch | string;
  task: Task;
  /** Number of classes for 'classify' (>= 2); ignored for 'box'. */
  classes: number;
  /** Input height and width (square), >= 32. */
  inputSize: number;
  /** Channel multiplier; 1 (default) is torchvision's architecture. */
  width?: number;
  /** Seed for the initial weights and the dropout masks (default 0). */
  seed?: number;
  /** Model name and layer-name prefix (default: the arch). */
  name?: string;
}

/** The layer-name prefix for a spec: spec.name ?? arch, made a valid tfjs weight-name fragment. */
export function layerPrefix(spec: Pick<NetworkSpec, 'arch' | 'name'>): string {
  const raw = spec.name ?? spec.arch;
  const safe = raw.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^[A-Za-z0-9]/.test(safe) ? safe : `n${safe}`;
}

/** Name of the head's Dense layer in a model built from `spec`. */
export function headLayerName(spec: Pick<NetworkSpec, 'arch' | 'name'>): string {
  return `${layerPrefix(spec)}_head`;
}

function validate(spec: NetworkSpec): void {
  if (!isArch(spec.arch)) {
    throw new EngineError('UNKNOWN_ARCH', `Unknown architecture "${spec.arch}"; known: ${ARCHS.join(', ')}`, spec.arch);
  }
  const subject = spec.name ?? spec.arch;
  if (spec.task !== 'classify' && spec.task !== 'box') {
    throw new EngineError('INVALID_CONFIG', `Unknown task "${String(spec.task)}"; expected "classify" or "box"`, subject, { field: 'task' });
  }
  if (spec.task === 'classify' && !(Number.isInteger(spec.classes) && spec.classes >= 2)) {
    throw new EngineError('INVALID_CONFIG', `A classifier needs at least 2 classes (got ${spec.classes})`, subject, { field: 'classes' });
  }
  if (!(Number.isInteger(spec.inputSize) && spec.inputSize >= 32)) {
    throw new EngineError('INVALID_CONFIG', `Input size must be an integer >= 32 (got ${spec.inputSize})`, subject, { field: 'inputSize' });
  }
  const width = spec.width ?? 1;
  if (!(Number.isFinite(width) && width > 0)) {
    throw new EngineError('INVALID_CONFIG', `Width multiplier must be a positive number (got ${width})`, subject, { field: 'width' });
  }
  if (spec.seed !== undefined && !Number.isFinite(spec.seed)) {
    throw new EngineError('INVALID_CONFIG', `Seed must be a finite number (got ${spec.seed})`, subject, { field: 'seed' });
  }
}

function buildTrunk(b: NetBuilder, arch: Arch, inputSize: number, width: number): Trunk {
  switch (arch) {
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
    case 'resnet101':
    case 'resnet152':
      return buildResNet(b, arch, inputSize, width);
    case 'vgg11':
      return buildVgg(b, 11, true, inputSize, width);
    case 'vgg16':
      return buildVgg(b, 16, true, inputSize, width);
    case 'vgg19':
      return buildVgg(b, 19, true, inputSize, width);
    case 'vgg11_nofc':
      return buildVgg(b, 11, false, inputSize, width);
    case 'vgg16_nofc':
      return buildVgg(b, 16, false, inputSize, width);
    case 'vgg19_nofc':
      return buildVgg(b, 19, false, inputSize, width);
    case 'densenet121':
    case 'densenet201':
      return buildDenseNet(b, arch, inputSize, width);
    case 'efficientnet_b0':
    case 'efficientnet_b1':
      return buildEfficientNet(b, arch, inputSize, width);
    case 'mobilenet_v2':
      return buildMobileNetV2(b, inputSize, width);
  }
}

/**
 * Build `spec` as a tf.LayersModel with seeded torchvision-style initial weights.
 * Throws EngineError UNKNOWN_ARCH or INVALID_CONFIG before allocating anything.
 */
export function buildNetwork(spec: NetworkSpec): tf.LayersModel {
  const model = buildUninitialized(spec);
  try {
    initializeWeights(model, spec.seed ?? 0, spec.arch);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** The architecture with its zero-initialised weights (for counting and planning only). */
function buildUninitialized(spec: NetworkSpec): tf.LayersModel {
  validate(spec);
  const arch = spec.arch as Arch;
  const seed = spec.seed ?? 0;
  const b = new NetBuilder(layerPrefix(spec), seed);
  const { input, features } = buildTrunk(b, arch, spec.inputSize, spec.width ?? 1);
  let out = b.dense(features, 'head', spec.task === 'box' ? 4 : spec.classes);
  if (spec.task === 'box') out = b.act(out, 'sigmoid', 'head_sigmoid');
  return tf.model({ inputs: input, outputs: out, name: spec.name ?? spec.arch });
}

export interface NetworkDescription {
  arch: string;
  params: number;
  /** Floats of every layer output for one image: the activations a training step keeps. */
  activationsPerImage: number;
  layers: number;
  /** Every stored scalar (trainable ones and BatchNorm's moving statistics): what a saved model holds. */
  weights?: number;
}

/**
 * Parameter count and activation size of `spec` without drawing initial weights. It still
 * allocates the (zero) weights for a moment: call it where memory is not contended, e.g. in a
 * planning worker on the CPU backend.
 */
export function describeNetwork(spec: NetworkSpec): NetworkDescription {
  const model = buildUninitialized(spec);
  try {
    let activations = 0;
    for (const layer of model.layers) {
      const shapes = layer.outputShape;
      const list = (Array.isArray(shapes[0]) || shapes[0] === undefined ? shapes : [shapes]) as (number | null)[][];
      for (const sh of list) activations += sh.reduce<number>((a, d) => a * (d ?? 1), 1);
    }
    const weights = model.weights.reduce((n, w) => n + (w.shape as number[]).reduce((a, d) => a * d, 1), 0);
    return { arch: spec.arch, params: trainableParamCount(model), activationsPerImage: activations, layers: model.layers.length, weights };
  } finally {
    model.dispose();
  }
}

/** Number of trainable scalars (BatchNorm's moving statistics are not trainable). */
export function trainableParamCount(model: tf.LayersModel): number {
  let n = 0;
  for (const w of model.trainableWeights) n += (w.shape as number[]).reduce((a, d) => a * d, 1);
  return n;
}
