/**
 * Between the zoo's tf.LayersModels and torchvision's state dicts. The zoo names every layer after
 * its torchvision module path (`${prefix}_layer2_0_downsample_0` is `layer2.0.downsample.0`), so
 * the mapping is mechanical, with four rules:
 *
 * - layouts: a Conv2D kernel [kh, kw, in, out] is torch's [out, in, kh, kw]; a depthwise kernel
 *   [kh, kw, C, 1] is [C, 1, kh, kw]; a Dense kernel [in, out] is [out, in]; BatchNorm's gamma,
 *   beta, moving mean and variance are weight, bias, running_mean, running_var (plus the
 *   `num_batches_tracked` counter, which the engine does not keep: ignored in, written as 0 out);
 * - VGG's first Linear (`classifier.0`) reads a flattened 7 x 7 x C map: NHWC (h, w, c) here,
 *   NCHW (c, h, w) in torchvision, so its input rows are permuted both ways;
 * - the head (`${prefix}_head`) is torchvision's last Linear: `fc` (ResNet), `classifier` (DenseNet),
 *   `classifier.6` (VGG), `classifier.1` (EfficientNet, MobileNetV2); `_nofc` VGGs have no
 *   torchvision counterpart and use `classifier` (an `nn.Linear(512, C)` after a 1 x 1 average pool);
 * - a head whose class count differs from the file's (ImageNet's 1000) keeps its seeded initial
 *   weights and the report says so; a `_nofc` VGG given a torchvision VGG keeps `features` and
 *   ignores torchvision's classifier.
 *
 * `checkStateDict` does every check (missing, unexpected, wrong shape: typed errors naming the file,
 * the key and both shapes) and every layout conversion on the CPU before `applyStateDict` writes a
 * single weight.
 *
 * Owns: the key plan of a model, import, export. Must not import the trainer or the DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { isCounter } from './readWeights';
import { numel, rawF32, rawI64Scalar, toFloat32, weightsError, type RawTensor, type StateDict } from './stateDict';

type Kind = 'conv' | 'depthwise' | 'dense' | 'vgg-flatten' | 'vector';

export interface MappedWeight {
  key: string;
  layer: tf.layers.Layer;
  /** Index into `layer.weights`. */
  index: number;
  kind: Kind;
  tfShape: number[];
  torchShape: number[];
  head: boolean;
}

export interface TorchvisionPlan {
  arch: string;
  prefix: string;
  headModule: string;
  weights: MappedWeight[];
  /** BatchNorm counters torchvision keeps (`<bn>.num_batches_tracked`). */
  counters: string[];
}

/** What an import did, for Configure, results.json and the bundle. */
export interface WeightsReport {
  file: string;
  format: 'safetensors' | 'pytorch';
  /** Tensors of the network set from the file. */
  loaded: number;
  /** The head kept its seeded initial weights (another class count, or no counterpart in the file). */
  headReinitialised: { key: string; fileShape: number[] | null; networkShape: number[]; reason: string } | null;
  /** Keys of the file not used (BatchNorm counters, torchvision's VGG classifier for a `_nofc` VGG). */
  ignored: string[];
}

/** torchvision's module path of an architecture's last Linear. */
export function headModuleOf(arch: string): string {
  if (arch.startsWith('resnet')) return 'fc';
  if (arch.endsWith('_nofc') || arch.startsWith('densenet')) return 'classifier';
  if (arch.startsWith('vgg')) return 'classifier.6';
  return 'classifier.1';
}

function weightKind(name: string): string {
  const slash = name.lastIndexOf('/');
  return (slash >= 0 ? name.slice(slash + 1) : name).replace(/_\d+$/, '');
}

/** The layer-name prefix of a zoo model (the part before `_head`). */
export function prefixOf(model: tf.LayersModel): string {
  const head = model.layers.find((l) => l.name.endsWith('_head') && l.getClassName() === 'Dense');
  if (!head) throw new Error(`${model.name} has no head layer (<prefix>_head): not a model of the zoo`);
  return head.name.slice(0, -'_head'.length);
}

/** Every weight of `model` with its torchvision key and both shapes. */
export function torchvisionPlan(model: tf.LayersModel, arch: string): TorchvisionPlan {
  const prefix = prefixOf(model);
  const headModule = headModuleOf(arch);
  const weights: MappedWeight[] = [];
  const counters: string[] = [];
  const vggClassifier = arch.startsWith('vgg') && !arch.endsWith('_nofc');
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    if (!layer.name.startsWith(`${prefix}_`)) throw new Error(`layer ${layer.name} lacks the model's prefix ${prefix}_`);
    const local = layer.name.slice(prefix.length + 1);
    const head = local === 'head';
    const module = head ? headModule : local.replace(/_/g, '.');
    const cls = layer.getClassName();
    layer.weights.forEach((w, index) => {
      const kind = weightKind(w.originalName ?? w.name);
      const s = w.shape as number[];
      const add = (param: string, k: Kind, torchShape: number[]) =>
        weights.push({ key: `${module}.${param}`, layer, index, kind: k, tfShape: s, torchShape, head });
      if (cls === 'Conv2D' && kind === 'kernel') add('weight', 'conv', [s[3], s[2], s[0], s[1]]);
      else if (cls === 'DepthwiseConv2D' && kind === 'depthwise_kernel') add('weight', 'depthwise', [s[2] * s[3], 1, s[0], s[1]]);
      else if (cls === 'Dense' && kind === 'kernel') add('weight', vggClassifier && local === 'classifier_0' ? 'vgg-flatten' : 'dense', [s[1], s[0]]);
      else if (kind === 'bias') add('bias', 'vector', s);
      else if (cls === 'BatchNormalization') {
        const param = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' }[kind];
        if (!param) throw new Error(`unexpected BatchNormalization weight ${w.name}`);
        add(param, 'vector', s);
      } else throw new Error(`no torchvision counterpart for ${w.name} (${cls})`);
    });
    if (cls === 'BatchNormalization') counters.push(`${module}.num_batches_tracked`);
  }
  return { arch, prefix, headModule, weights, counters };
}

/** torch layout -> tfjs layout. */
function fromTorch(m: MappedWeight, v: Float32Array): Float32Array {
  const s = m.tfShape;
  const out = new Float32Array(v.length);
  switch (m.kind) {
    case 'vector':
      return v;
    case 'conv': {
      const [kh, kw, cin, cout] = s;
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * cin + i) * cout + o] = v[((o * cin + i) * kh + y) * kw + x];
      return out;
    }
    case 'depthwise': {
      const [kh, kw, c] = s;
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(y * kw + x) * c + ch] = v[(ch * kh + y) * kw + x];
      return out;
    }
    case 'dense': {
      const [fin, fout] = s;
      for (let o = 0; o < fout; o++) for (let i = 0; i < fin; i++) out[i * fout + o] = v[o * fin + i];
      return out;
    }
    case 'vgg-flatten': {
      // tfjs row (s * C + c) is torch column (c * 49 + s), s = h * 7 + w.
      const [fin, fout] = s;
      const c = fin / 49;
      for (let o = 0; o < fout; o++) for (let ch = 0; ch < c; ch++) for (let sp = 0; sp < 49; sp++) out[(sp * c + ch) * fout + o] = v[o * fin + ch * 49 + sp];
      return out;
    }
  }
}

/** tfjs layout -> torch layout. */
function toTorch(m: MappedWeight, v: Float32Array): Float32Array {
  const s = m.tfShape;
  const out = new Float32Array(v.length);
  switch (m.kind) {
    case 'vector':
      return v.slice();
    case 'conv': {
      const [kh, kw, cin, cout] = s;
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++)
          for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((o * cin + i) * kh + y) * kw + x] = v[((y * kw + x) * cin + i) * cout + o];
      return out;
    }
    case 'depthwise': {
      const [kh, kw, c] = s;
      for (let ch = 0; ch < c; ch++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(ch * kh + y) * kw + x] = v[(y * kw + x) * c + ch];
      return out;
    }
    case 'dense': {
      const [fin, fout] = s;
      for (let o = 0; o < fout; o++) for (let i = 0; i < fin; i++) out[o * fin + i] = v[i * fout + o];
      return out;
    }
    case 'vgg-flatten': {
      const [fin, fout] = s;
      const c = fin / 49;
      for (let o = 0; o < fout; o++) for (let ch = 0; ch < c; ch++) for (let sp = 0; sp < 49; sp++) out[o * fin + ch * 49 + sp] = v[(sp * c + ch) * fout + o];
      return out;
    }
  }
}

const shapeText = (s: readonly number[] | null) => (s ? `[${s.join(', ')}]` : 'absent');
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export interface CheckedWeights {
  /** New values in tfjs layout for every weight taken from the file. */
  values: Map<MappedWeight, Float32Array>;
  report: WeightsReport;
}

/**
 * Match a state dict to a plan, all on the CPU: typed errors for a wrong shape, a missing key or
 * an unexpected key (in that order; `details` lists every one), and the values in tfjs layout.
 */
export function checkStateDict(plan: TorchvisionPlan, sd: StateDict): CheckedWeights {
  const file = sd.file;
  const nofc = plan.arch.endsWith('_nofc');
  const headWeights = plan.weights.filter((w) => w.head);
  const headKey = headWeights.find((w) => w.kind !== 'vector')!;
  let headReinitialised: WeightsReport['headReinitialised'] = null;
  const fileHead = sd.tensors.get(headKey.key);
  const networkHeadShape = headKey.torchShape;
  if (fileHead && !sameShape(fileHead.shape, networkHeadShape) && fileHead.shape.length === 2 && fileHead.shape[1] === networkHeadShape[1]) {
    headReinitialised = {
      key: plan.headModule,
      fileShape: fileHead.shape,
      networkShape: networkHeadShape,
      reason: `the file's head has ${fileHead.shape[0]} outputs and the network's ${networkHeadShape[0]}: the head starts from the seed`,
    };
  } else if (!fileHead && nofc && sd.tensors.has('classifier.6.weight')) {
    headReinitialised = {
      key: plan.headModule,
      fileShape: null,
      networkShape: networkHeadShape,
      reason: `${plan.arch} has no counterpart of torchvision's VGG classifier: features come from the file, the head starts from the seed`,
    };
  }
  const mismatched: { key: string; expected: number[]; got: number[] }[] = [];
  const missing: string[] = [];
  const values = new Map<MappedWeight, Float32Array>();
  for (const w of plan.weights) {
    if (w.head && headReinitialised) continue;
    const t = sd.tensors.get(w.key);
    if (!t) missing.push(w.key);
    else if (!sameShape(t.shape, w.torchShape)) mismatched.push({ key: w.key, expected: w.torchShape, got: t.shape });
  }
  if (mismatched.length) {
    const m = mismatched[0];
    throw weightsError(
      'WEIGHTS_SHAPE_MISMATCH',
      file,
      `${m.key} is ${shapeText(m.got)} in the file but ${shapeText(m.expected)} in ${plan.arch}${mismatched.length > 1 ? ` (and ${mismatched.length - 1} more)` : ''}`,
      { key: m.key, expected: m.expected, got: m.got, mismatched },
    );
  }
  if (missing.length) {
    throw weightsError(
      'WEIGHTS_MISSING_KEY',
      file,
      `${missing[0]} (${shapeText(plan.weights.find((w) => w.key === missing[0])!.torchShape)}) is missing from the file${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}; is it a ${plan.arch}?`,
      { key: missing[0], missing },
    );
  }
  const known = new Set(plan.weights.map((w) => w.key));
  const counters = new Set(plan.counters);
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const key of sd.tensors.keys()) {
    if (known.has(key)) continue;
    if (counters.has(key) && isCounter(key)) ignored.push(key);
    else if (nofc && /^classifier\.\d+\./.test(key)) ignored.push(key);
    else unexpected.push(key);
  }
  if (unexpected.length) {
    const k = unexpected[0];
    throw weightsError(
      'WEIGHTS_UNEXPECTED_KEY',
      file,
      `${k} (${shapeText(sd.tensors.get(k)!.shape)}) is not a tensor of ${plan.arch}${unexpected.length > 1 ? ` (and ${unexpected.length - 1} more)` : ''}`,
      { key: k, unexpected },
    );
  }
  for (const w of plan.weights) {
    if (w.head && headReinitialised) continue;
    values.set(w, fromTorch(w, toFloat32(sd.tensors.get(w.key)!, file, w.key)));
  }
  return { values, report: { file, format: sd.format, loaded: values.size, headReinitialised, ignored } };
}

/** Write checked values into the model's weights (the head keeps its own where it was re-initialised). */
export function applyStateDict(plan: TorchvisionPlan, checked: CheckedWeights): void {
  const byLayer = new Map<tf.layers.Layer, MappedWeight[]>();
  for (const w of plan.weights) byLayer.set(w.layer, [...(byLayer.get(w.layer) ?? []), w]);
  for (const [layer, ws] of byLayer) {
    if (!ws.some((w) => checked.values.has(w))) continue;
    // getWeights() hands back the layer's own variables: kept as they are where nothing is loaded.
    const current = layer.getWeights();
    const created: tf.Tensor[] = [];
    const next = current.map((t, i) => {
      const w = ws.find((x) => x.index === i);
      const v = w ? checked.values.get(w) : undefined;
      if (!v) return t;
      const fresh = tf.tensor(v, t.shape);
      created.push(fresh);
      return fresh;
    });
    layer.setWeights(next);
    tf.dispose(created);
  }
}

/** Load a torchvision state dict into a zoo model built for `arch`; checks everything before writing. */
export function loadTorchvisionWeights(model: tf.LayersModel, arch: string, sd: StateDict): WeightsReport {
  const plan = torchvisionPlan(model, arch);
  const checked = checkStateDict(plan, sd);
  applyStateDict(plan, checked);
  return checked.report;
}

/** The model's weights as a torchvision state dict (float32, `num_batches_tracked` = 0). */
export async function exportStateDict(model: tf.LayersModel, arch: string): Promise<Map<string, RawTensor>> {
  const plan = torchvisionPlan(model, arch);
  const out = new Map<string, RawTensor>();
  const counters = new Set(plan.counters);
  let last: string | null = null;
  for (const w of plan.weights) {
    const module = w.key.slice(0, w.key.lastIndexOf('.'));
    if (last !== null && last !== module && counters.has(`${last}.num_batches_tracked`)) out.set(`${last}.num_batches_tracked`, rawI64Scalar(0));
    last = module;
    const values = (await w.layer.weights[w.index].read().data()) as Float32Array;
    if (values.length !== numel(w.tfShape)) throw new Error(`${w.key}: ${values.length} values for ${shapeText(w.tfShape)}`);
    out.set(w.key, rawF32(toTorch(w, values), w.torchShape));
  }
  if (last !== null && counters.has(`${last}.num_batches_tracked`)) out.set(`${last}.num_batches_tracked`, rawI64Scalar(0));
  return out;
}
