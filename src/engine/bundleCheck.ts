/**
 * A bundle's manifest (`ensemble.json`) and each member's `model.json`, validated as untrusted
 * input before TensorFlow.js sees them, with every problem named by its field (as `parseSpec`
 * does): the manifest's members, rule, class names, input size and normalisation; each model's
 * layer graph, walked here without allocating anything.
 *
 * tfjs builds every layer (allocating its weights) before it compares them with the weight data,
 * so a `model.json` declaring a Dense layer of 10^9 units would be allocated first and refused
 * after. Here each layer's weight shapes are worked out from its config and its input's shape,
 * for the 18 layer classes Cohort Studio's networks use (any other class is refused), and must
 * equal the weights the manifest lists; those must fill `weights.bin` exactly; the input must be
 * [size, size, 3] and the output as wide as the class list (4 for boxes); no activation may exceed
 * `MAX_ACTIVATION` values. After that, loading can allocate only what `weights.bin` holds.
 *
 * Owns: the manifest's and the model's validation. No DOM, no tfjs (plain JSON is walked).
 */
import { ARCHS, isArch } from '../core/archs';
import { EngineError } from '../core/errors';
import { SPEC_LIMITS } from '../core/spec';

export interface BundleIssue {
  field: string;
  message: string;
}

/** The largest activation a member may produce for one image (values). */
export const MAX_ACTIVATION = 2 ** 28;
/** At most this many layers in one member (DenseNet-201 has about 1,000). */
export const MAX_LAYERS = 5000;
export const MAX_CLASSES = 1000;
/** Member folder names inside a bundle. */
export const MEMBER_PATH = /^[A-Za-z0-9_-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

function thrown(subject: string, issues: BundleIssue[]): EngineError {
  return new EngineError(
    'INVALID_CONFIG',
    `${subject} is not a valid Cohort Studio bundle file:\n${issues
      .slice(0, 12)
      .map((i) => `- ${i.field}: ${i.message}`)
      .join('\n')}${issues.length > 12 ? `\n- and ${issues.length - 12} more` : ''}`,
    subject,
    { issues },
  );
}

/** Check a parsed `ensemble.json`; unknown fields are kept (a newer studio may add some). */
export function checkManifest(value: unknown): void {
  const issues: BundleIssue[] = [];
  const bad = (field: string, message: string) => issues.push({ field, message });
  if (!isObj(value)) throw thrown('ensemble.json', [{ field: '(root)', message: 'must be a JSON object' }]);
  if (value.format !== 'cohort-studio-bundle') bad('format', `must be "cohort-studio-bundle", got ${JSON.stringify(value.format)}`);
  if (value.version !== 1) bad('version', `must be 1, got ${JSON.stringify(value.version)}`);
  const task = value.task;
  if (task !== 'classify' && task !== 'box') bad('task', `must be "classify" or "box", got ${JSON.stringify(task)}`);
  const member = (field: string, m: unknown) => {
    if (!isObj(m)) return bad(field, 'must be an object with name, arch, width, params and path');
    if (typeof m.name !== 'string' || !MEMBER_PATH.test(m.name)) bad(`${field}.name`, 'must be 1 to 64 letters, digits, _ or -');
    if (typeof m.path !== 'string' || !MEMBER_PATH.test(m.path)) bad(`${field}.path`, 'must be a folder name of 1 to 64 letters, digits, _ or -');
    if (typeof m.arch !== 'string' || !isArch(m.arch)) bad(`${field}.arch`, `unknown architecture ${JSON.stringify(m.arch)}; known: ${ARCHS.join(', ')}`);
    if (typeof m.width !== 'number' || !(m.width >= SPEC_LIMITS.width.min && m.width <= SPEC_LIMITS.width.max))
      bad(`${field}.width`, `must be a number from ${SPEC_LIMITS.width.min} to ${SPEC_LIMITS.width.max}`);
    if (!isInt(m.params)) bad(`${field}.params`, 'must be a whole number');
  };
  if (!Array.isArray(value.members) || value.members.length === 0 || value.members.length > SPEC_LIMITS.students.max) {
    bad('members', `must be an array of 1 to ${SPEC_LIMITS.students.max} networks`);
  } else {
    value.members.forEach((m, i) => member(`members[${i}]`, m));
    const paths = value.members.map((m) => (isObj(m) ? m.path : null));
    if (new Set(paths).size !== paths.length) bad('members', 'must not list a folder twice');
  }
  if (value.teacher !== undefined) member('teacher', value.teacher);
  const rules = task === 'box' ? ['mean', 'median'] : ['max', 'mean'];
  if (typeof value.rule !== 'string' || !rules.includes(value.rule)) bad('rule', `must be one of ${rules.map((r) => `"${r}"`).join(', ')} for ${String(task)}`);
  if (task === 'classify') {
    const c = value.classNames;
    if (!Array.isArray(c) || c.length < 2 || c.length > MAX_CLASSES) bad('classNames', `must be an array of 2 to ${MAX_CLASSES} class names`);
    else {
      c.forEach((n, i) => {
        if (typeof n !== 'string' || n.length === 0 || n.length > 200) bad(`classNames[${i}]`, 'must be a name of 1 to 200 characters');
      });
      if (new Set(c).size !== c.length) bad('classNames', 'must not repeat a class');
    }
  }
  if (!isInt(value.inputSize, SPEC_LIMITS.inputSize.min, SPEC_LIMITS.inputSize.max)) {
    bad('inputSize', `must be a whole number from ${SPEC_LIMITS.inputSize.min} to ${SPEC_LIMITS.inputSize.max}, got ${JSON.stringify(value.inputSize)}`);
  }
  const n = value.normalization;
  const three = (v: unknown, positive: boolean) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
  if (!isObj(n)) bad('normalization', 'must be an object with mean and std');
  else {
    if (!three(n.mean, false)) bad('normalization.mean', 'must be 3 numbers');
    if (!three(n.std, true)) bad('normalization.std', 'must be 3 positive numbers');
  }
  if (value.resize !== 'stretch' && value.resize !== 'pad') bad('resize', `must be "stretch" or "pad", got ${JSON.stringify(value.resize)}`);
  if (issues.length) throw thrown('ensemble.json', issues);
}

export interface CheckedModel {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
}

type Shape = number[];

const pair = (v: unknown, field: string, bad: (f: string, m: string) => void, max = 64, min = 1): [number, number] => {
  const a = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
  if (!a || !a.every((x) => isInt(x, min, max))) {
    bad(field, `must be 1 or 2 whole numbers from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return [min, min];
  }
  return [a[0], a[1]];
};

function windowOut(size: number, k: number, stride: number, dilation: number, padding: unknown): number {
  const span = (k - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
}

/**
 * Check a member's parsed `model.json` against its `weights.bin` length, the bundle's input size
 * and the width its outputs must have. Returns what tfjs's loader takes.
 */
export function checkModel(path: string, value: unknown, weightBytes: number, expect: { inputSize: number; outputs: number }): CheckedModel {
  const issues: BundleIssue[] = [];
  const bad = (field: string, message: string) => issues.push({ field, message });
  const fail = () => thrown(`${path}/model.json`, issues);
  if (!isObj(value)) throw thrown(`${path}/model.json`, [{ field: '(root)', message: 'must be a JSON object' }]);
  const topo = value.modelTopology;
  if (!isObj(topo) || (topo.class_name !== 'Model' && topo.class_name !== 'Functional') || !isObj(topo.config)) {
    bad('modelTopology', 'must be a functional layers model ({ class_name: "Model", config: { layers, ... } })');
    throw fail();
  }
  const cfg = topo.config;
  if (!Array.isArray(cfg.layers) || cfg.layers.length === 0 || cfg.layers.length > MAX_LAYERS) {
    bad('modelTopology.config.layers', `must be an array of 1 to ${MAX_LAYERS} layers`);
    throw fail();
  }

  // The weights the manifest lists, and the bytes they take.
  const specs: CheckedModel['weightSpecs'] = [];
  const declared = new Map<string, Shape>();
  if (!Array.isArray(value.weightsManifest)) bad('weightsManifest', 'must be an array of weight groups');
  else {
    value.weightsManifest.forEach((g, gi) => {
      if (!isObj(g) || !Array.isArray(g.weights)) return bad(`weightsManifest[${gi}]`, 'must be an object with paths and weights');
      g.weights.forEach((w, wi) => {
        const f = `weightsManifest[${gi}].weights[${wi}]`;
        if (!isObj(w) || typeof w.name !== 'string' || !Array.isArray(w.shape)) return bad(f, 'must have a name and a shape');
        if (!w.shape.every((d) => isInt(d, 0, 2 ** 24))) return bad(`${f}.shape`, `must be whole numbers, got ${JSON.stringify(w.shape).slice(0, 80)}`);
        if (w.dtype !== 'float32') return bad(`${f}.dtype`, `must be "float32", got ${JSON.stringify(w.dtype)}`);
        if (w.quantization !== undefined) return bad(`${f}.quantization`, 'quantized weights are not what Cohort Studio exports');
        if (declared.has(w.name)) return bad(`${f}.name`, `"${w.name}" is listed twice`);
        declared.set(w.name, w.shape as Shape);
        specs.push({ name: w.name, shape: w.shape as Shape, dtype: 'float32' });
      });
    });
  }
  if (issues.length) throw fail();
  const need = specs.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  if (need !== weightBytes) {
    throw thrown(`${path}/weights.bin`, [{ field: 'weights.bin', message: `holds ${weightBytes} bytes, but model.json declares weights of ${need} bytes` }]);
  }

  // Walk the layer graph: each layer's output shape (batch left out) from its inputs'.
  const shapes = new Map<string, Shape>();
  const implied = new Map<string, Shape>();
  const layers = cfg.layers as unknown[];
  const weight = (layer: string, w: string, shape: Shape) => implied.set(`${layer}/${w}`, shape);
  for (let li = 0; li < layers.length && issues.length === 0; li++) {
    const l = layers[li];
    const f = `modelTopology.config.layers[${li}]`;
    if (!isObj(l) || typeof l.class_name !== 'string' || !isObj(l.config) || typeof l.name !== 'string') {
      bad(f, 'must have a class_name, a name and a config');
      break;
    }
    const c = l.config;
    const name = l.name;
    if (shapes.has(name)) {
      bad(`${f}.name`, `"${name}" is used twice`);
      break;
    }
    const nodes = l.inbound_nodes;
    const inputs: Shape[] = [];
    if (l.class_name !== 'InputLayer') {
      if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0]) || nodes[0].length === 0) {
        bad(`${f}.inbound_nodes`, 'must be one call of the layer (shared layers are not what Cohort Studio makes)');
        break;
      }
      for (const ref of nodes[0] as unknown[]) {
        const from = Array.isArray(ref) ? ref[0] : undefined;
        const s = typeof from === 'string' ? shapes.get(from) : undefined;
        if (!s) {
          bad(`${f}.inbound_nodes`, `takes ${JSON.stringify(from)}, which is not an earlier layer`);
          break;
        }
        inputs.push(s);
      }
      if (issues.length) break;
    }
    if (c.data_format !== undefined && c.data_format !== 'channels_last') bad(`${f}.config.data_format`, 'must be "channels_last"');
    const x = inputs[0];
    const rank = (r: number) => {
      if (x.length !== r) bad(`${f}`, `${l.class_name} needs a rank-${r} input, got [${x.join(', ')}]`);
      return x.length === r;
    };
    let out: Shape = [];
    switch (l.class_name) {
      case 'InputLayer': {
        const s = c.batch_input_shape;
        if (!Array.isArray(s) || s.length !== 4 || s[1] !== expect.inputSize || s[2] !== expect.inputSize || s[3] !== 3) {
          bad(
            `${f}.config.batch_input_shape`,
            `must be [null, ${expect.inputSize}, ${expect.inputSize}, 3] (the manifest's input size), got ${JSON.stringify(s)}`,
          );
        }
        out = [expect.inputSize, expect.inputSize, 3];
        break;
      }
      case 'ZeroPadding2D': {
        if (!rank(3)) break;
        const p = c.padding;
        const pp = Array.isArray(p) && p.length === 2 && p.every((q) => Array.isArray(q)) ? (p as unknown[][]) : null;
        const [t, b2] = pair(pp ? pp[0] : p, `${f}.config.padding`, bad, 1024, 0);
        const [le, r] = pp ? pair(pp[1], `${f}.config.padding`, bad, 1024, 0) : [t, b2];
        out = [x[0] + t + b2, x[1] + le + r, x[2]];
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (!rank(3)) break;
        const [kh, kw] = pair(c.kernel_size, `${f}.config.kernel_size`, bad);
        const [sh, sw] = pair(c.strides, `${f}.config.strides`, bad);
        const [dh, dw] = pair(c.dilation_rate ?? 1, `${f}.config.dilation_rate`, bad);
        if (c.padding !== 'same' && c.padding !== 'valid') bad(`${f}.config.padding`, 'must be "same" or "valid"');
        let channels: number;
        if (l.class_name === 'Conv2D') {
          if (!isInt(c.filters, 1, 65536)) bad(`${f}.config.filters`, `must be a whole number from 1 to 65536, got ${JSON.stringify(c.filters)}`);
          channels = Number(c.filters);
          weight(name, 'kernel', [kh, kw, x[2], channels]);
        } else {
          if (!isInt(c.depth_multiplier, 1, 64)) bad(`${f}.config.depth_multiplier`, 'must be a whole number from 1 to 64');
          channels = x[2] * Number(c.depth_multiplier);
          weight(name, 'depthwise_kernel', [kh, kw, x[2], Number(c.depth_multiplier)]);
        }
        if (c.use_bias) weight(name, 'bias', [channels]);
        out = [windowOut(x[0], kh, sh, dh, c.padding), windowOut(x[1], kw, sw, dw, c.padding), channels];
        break;
      }
      case 'BatchNormalization': {
        const axis = c.axis;
        if (axis !== -1 && axis !== x.length) bad(`${f}.config.axis`, 'must be the channel axis');
        const ch = x[x.length - 1];
        if (c.scale !== false) weight(name, 'gamma', [ch]);
        if (c.center !== false) weight(name, 'beta', [ch]);
        weight(name, 'moving_mean', [ch]);
        weight(name, 'moving_variance', [ch]);
        out = x;
        break;
      }
      case 'Activation':
      case 'SeededDropout':
      case 'SeededStochasticDepth':
        out = x;
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (!rank(3)) break;
        const [ph, pw] = pair(c.pool_size, `${f}.config.pool_size`, bad);
        if (c.padding !== 'same' && c.padding !== 'valid') bad(`${f}.config.padding`, 'must be "same" or "valid"');
        const [sh, sw] = c.strides === null || c.strides === undefined ? [ph, pw] : pair(c.strides, `${f}.config.strides`, bad);
        out = [windowOut(x[0], ph, sh, 1, c.padding), windowOut(x[1], pw, sw, 1, c.padding), x[2]];
        break;
      }
      case 'GlobalAveragePooling2D':
        if (!rank(3)) break;
        out = c.keepdims ? [1, 1, x[2]] : [x[2]];
        break;
      case 'AdaptiveAveragePooling2D': {
        if (!rank(3)) break;
        const [oh, ow] = pair(c.output_size, `${f}.config.output_size`, bad, 1024);
        out = [oh, ow, x[2]];
        break;
      }
      case 'Flatten':
        out = [x.reduce((a, b) => a * b, 1)];
        break;
      case 'Reshape': {
        const t = c.target_shape;
        if (!Array.isArray(t) || !t.every((d) => isInt(d, 1)) || t.reduce((a: number, b: number) => a * b, 1) !== x.reduce((a, b) => a * b, 1)) {
          bad(`${f}.config.target_shape`, `must reshape [${x.join(', ')}] without changing its size`);
          break;
        }
        out = t as Shape;
        break;
      }
      case 'Dense': {
        if (!isInt(c.units, 1, 65536)) bad(`${f}.config.units`, `must be a whole number from 1 to 65536, got ${JSON.stringify(c.units)}`);
        weight(name, 'kernel', [x[x.length - 1], Number(c.units)]);
        if (c.use_bias) weight(name, 'bias', [Number(c.units)]);
        out = [...x.slice(0, -1), Number(c.units)];
        break;
      }
      case 'Add':
      case 'Multiply': {
        if (inputs.length < 2 || inputs.some((s) => s.length !== x.length)) {
          bad(f, `${l.class_name} needs 2 or more inputs of one rank`);
          break;
        }
        out = x.map((_, d) => Math.max(...inputs.map((s) => s[d])));
        if (inputs.some((s) => s.some((v, d) => v !== out[d] && v !== 1)))
          bad(f, `${l.class_name} inputs [${inputs.map((s) => s.join('x')).join('], [')}] do not broadcast`);
        break;
      }
      case 'Concatenate': {
        const axis = c.axis === -1 || c.axis === undefined ? x.length - 1 : Number(c.axis) - 1;
        if (inputs.some((s) => s.length !== x.length || s.some((v, d) => d !== axis && v !== x[d]))) {
          bad(f, 'Concatenate inputs differ outside the joined axis');
          break;
        }
        out = x.map((v, d) => (d === axis ? inputs.reduce((a, s) => a + s[d], 0) : v));
        break;
      }
      default:
        bad(`${f}.class_name`, `layer class "${l.class_name}" is not one Cohort Studio's networks use`);
    }
    if (issues.length) break;
    if (out.some((d) => !(d >= 1)) || out.reduce((a, b) => a * b, 1) > MAX_ACTIVATION) {
      bad(f, `${l.class_name} "${name}" would output [${out.join(', ')}] values per image`);
      break;
    }
    shapes.set(name, out);
  }
  if (issues.length) throw fail();
  const outputs = cfg.output_layers;
  const inputsList = cfg.input_layers;
  if (!Array.isArray(inputsList) || inputsList.length !== 1) bad('modelTopology.config.input_layers', 'must name one input');
  if (!Array.isArray(outputs) || outputs.length !== 1 || !Array.isArray(outputs[0]) || !shapes.has(outputs[0][0])) {
    bad('modelTopology.config.output_layers', 'must name one layer of the model');
  } else {
    const o = shapes.get(outputs[0][0])!;
    if (o.length !== 1 || o[0] !== expect.outputs) {
      bad(
        'modelTopology.config.output_layers',
        `the model outputs [${o.join(', ')}] per image, but the manifest needs ${expect.outputs} (${expect.outputs === 4 ? 'a box' : 'one per class'})`,
      );
    }
  }
  for (const [k, s] of implied) {
    const d = declared.get(k);
    if (!d) bad('weightsManifest', `lacks ${k} [${s.join(', ')}], which the layers need`);
    else if (d.length !== s.length || d.some((v, i) => v !== s[i])) bad('weightsManifest', `${k} is [${d.join(', ')}], but its layer needs [${s.join(', ')}]`);
  }
  for (const k of declared.keys()) if (!implied.has(k)) bad('weightsManifest', `lists ${k}, which no layer has`);
  if (issues.length) throw fail();
  return { modelTopology: topo, weightSpecs: specs };
}
