/**
 * A zoo network as an ONNX model (opset 13, IR version 7): NCHW float32 input `input`
 * [batch, 3, size, size], normalised as the bundle says, and output `output` [batch, C] (logits) or
 * [batch, 4] (boxes through a sigmoid). The graph is written from the model's own layers in
 * topological order, with torchvision's weights and names (./torchvision.ts) as initializers, so
 * it is the same network torchvision would export:
 *
 * Conv2D / DepthwiseConv2D -> Conv (group = C for depthwise; a preceding ZeroPadding2D becomes the
 * Conv's or MaxPool's `pads`), BatchNormalization -> BatchNormalization (inference: the moving
 * statistics), relu -> Relu, relu6 -> Clip(0, 6), swish -> x * Sigmoid(x), Dense -> Gemm(transB),
 * global average pooling -> GlobalAveragePool + Flatten, VGG's adaptive 7 x 7 pool -> two MatMuls
 * with its pooling matrices (the identity at 224 px), Flatten -> Flatten (NCHW order, which is what
 * torchvision's classifier.0 weights expect), concatenate -> Concat(axis 1), SE's reshape to
 * [1, 1, C] -> Reshape [-1, C, 1, 1]; dropout and stochastic depth vanish (inference).
 *
 * Owns: `modelToOnnx`. Must not import the trainer or the DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { adaptivePoolMatrix } from '../customLayers';
import { ProtoWriter } from './protobuf';
import type { RawTensor } from './stateDict';
import { exportStateDict, torchvisionPlan } from './torchvision';

export const ONNX_OPSET = 13;
const IR_VERSION = 7;
const FLOAT = 1;
const INT64 = 7;

type Config = Record<string, unknown>;

interface Attr {
  name: string;
  i?: number;
  f?: number;
  ints?: number[];
}

class GraphBuilder {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private count = 0;

  fresh(base: string): string {
    return `${base}:${this.count++}`;
  }

  node(op: string, inputs: string[], name: string, attrs: Attr[] = [], outputs = [this.fresh(name)]): string {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, name);
    n.string(4, op);
    for (const a of attrs) {
      const w = new ProtoWriter().string(1, a.name);
      if (a.i !== undefined) w.int(3, a.i).int(20, 2);
      else if (a.f !== undefined) w.float(2, a.f).int(20, 1);
      else if (a.ints) w.ints(8, a.ints).int(20, 7);
      n.message(5, w);
    }
    this.nodes.push(n);
    return outputs[0];
  }

  tensor(name: string, t: RawTensor): string {
    const w = new ProtoWriter()
      .ints(1, t.shape)
      .int(2, t.dtype === 'I64' ? INT64 : FLOAT)
      .string(8, name)
      .bytes(9, t.data);
    this.initializers.push(w);
    return name;
  }

  floats(name: string, values: Float32Array, shape: number[]): string {
    return this.tensor(name, { dtype: 'F32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
  }

  int64s(name: string, values: number[]): string {
    const data = new Uint8Array(values.length * 8);
    const v = new DataView(data.buffer);
    values.forEach((x, i) => v.setBigInt64(i * 8, BigInt(x), true));
    return this.tensor(name, { dtype: 'I64', shape: [values.length], data });
  }
}

function valueInfo(name: string, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[v.length > 1 ? 1 : 0])] : [Number(v), Number(v)]);

export interface OnnxOptions {
  arch: string;
  /** Written into the model's metadata_props (class names, normalisation, ...). */
  metadata?: Record<string, string>;
}

/** The model as ONNX bytes. */
export async function modelToOnnx(model: tf.LayersModel, opts: OnnxOptions): Promise<Uint8Array> {
  const plan = torchvisionPlan(model, opts.arch);
  const sd = await exportStateDict(model, opts.arch);
  const paramsOf = new Map<tf.layers.Layer, Map<string, string>>();
  for (const w of plan.weights) {
    const param = w.key.slice(w.key.lastIndexOf('.') + 1);
    if (!paramsOf.has(w.layer)) paramsOf.set(w.layer, new Map());
    paramsOf.get(w.layer)!.set(param, w.key);
  }
  const g = new GraphBuilder();
  const used = new Set<string>();
  const param = (layer: tf.layers.Layer, p: string): string => {
    const key = paramsOf.get(layer)?.get(p);
    if (!key) throw new Error(`ONNX export: ${layer.name} has no ${p}`);
    if (!used.has(key)) {
      g.tensor(key, sd.get(key)!);
      used.add(key);
    }
    return key;
  };
  const out = new Map<string, string>();
  /** ZeroPadding2D layers folded into their consumer: input name and pads [top, left, bottom, right]. */
  const folded = new Map<string, { input: string; pads: number[] }>();
  const inShape = model.inputs[0].shape as (number | null)[];
  const size = inShape[1]!;
  let inputName = '';
  const consumers = new Map<string, tf.layers.Layer[]>();
  for (const layer of model.layers) {
    for (const src of layer.inboundNodes[0]?.inboundLayers ?? []) consumers.set(src.name, [...(consumers.get(src.name) ?? []), layer]);
  }
  const foldable = (l: tf.layers.Layer) => ['Conv2D', 'DepthwiseConv2D', 'MaxPooling2D'].includes(l.getClassName());
  let last = '';
  let clipMin = '';
  let clipMax = '';
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Config;
    const name = layer.name;
    const inputs = (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) => out.get(l.name) ?? (folded.has(l.name) ? l.name : ''));
    const x = inputs[0];
    const padded = folded.get(x);
    const src = padded ? padded.input : x;
    const pads = padded ? padded.pads : [0, 0, 0, 0];
    let y: string;
    switch (cls) {
      case 'InputLayer':
        y = inputName = 'input';
        break;
      case 'ZeroPadding2D': {
        const p = cfg.padding as [[number, number], [number, number]];
        const padsOf = [p[0][0], p[1][0], p[0][1], p[1][1]];
        if ((consumers.get(name) ?? []).every(foldable)) {
          folded.set(name, { input: x, pads: padsOf });
          continue;
        }
        const padTensor = g.int64s(`${name}.pads`, [0, 0, padsOf[0], padsOf[1], 0, 0, padsOf[2], padsOf[3]]);
        y = g.node('Pad', [x, padTensor], name);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const [kh, kw] = pair(cfg.kernelSize);
        const [sh, sw] = pair(cfg.strides);
        let p = pads;
        if (cfg.padding === 'same') {
          if (sh !== 1 || sw !== 1 || kh % 2 === 0 || kw % 2 === 0) throw new Error(`ONNX export: ${name} has 'same' padding with stride or even kernel`);
          p = [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2];
        }
        const weight = param(layer, 'weight');
        const ins = [src, weight];
        if (cfg.useBias) ins.push(param(layer, 'bias'));
        const attrs: Attr[] = [
          { name: 'kernel_shape', ints: [kh, kw] },
          { name: 'strides', ints: [sh, sw] },
          { name: 'pads', ints: p },
          { name: 'dilations', ints: [1, 1] },
        ];
        if (cls === 'DepthwiseConv2D') attrs.push({ name: 'group', i: sd.get(weight)!.shape[0] });
        y = g.node('Conv', ins, name, attrs);
        if (cfg.activation === 'relu') y = g.node('Relu', [y], `${name}_relu`);
        else if (cfg.activation && cfg.activation !== 'linear') throw new Error(`ONNX export: ${name} has activation ${String(cfg.activation)}`);
        break;
      }
      case 'BatchNormalization':
        y = g.node('BatchNormalization', [x, param(layer, 'weight'), param(layer, 'bias'), param(layer, 'running_mean'), param(layer, 'running_var')], name, [
          { name: 'epsilon', f: Number(cfg.epsilon) },
        ]);
        break;
      case 'Activation': {
        const a = String(cfg.activation);
        if (a === 'relu') y = g.node('Relu', [x], name);
        else if (a === 'sigmoid') y = g.node('Sigmoid', [x], name);
        else if (a === 'swish') y = g.node('Mul', [x, g.node('Sigmoid', [x], `${name}_sigmoid`)], name);
        else if (a === 'relu6') {
          if (!clipMin) {
            clipMin = g.floats('relu6.min', new Float32Array([0]), []);
            clipMax = g.floats('relu6.max', new Float32Array([6]), []);
          }
          y = g.node('Clip', [x, clipMin, clipMax], name);
        } else if (a === 'linear') y = x;
        else throw new Error(`ONNX export: activation ${a} of ${name}`);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (cfg.padding !== 'valid') throw new Error(`ONNX export: ${name} pads '${String(cfg.padding)}'`);
        if (cls === 'AveragePooling2D' && padded) throw new Error(`ONNX export: ${name} is an average pool after padding`);
        const attrs: Attr[] = [
          { name: 'kernel_shape', ints: pair(cfg.poolSize) },
          { name: 'strides', ints: pair(cfg.strides) },
          { name: 'pads', ints: pads },
        ];
        y = g.node(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [src], name, attrs);
        break;
      }
      case 'GlobalAveragePooling2D':
        y = g.node('Flatten', [g.node('GlobalAveragePool', [x], `${name}_pool`)], name, [{ name: 'axis', i: 1 }]);
        break;
      case 'Reshape': {
        const t = cfg.targetShape as number[];
        if (t.length !== 3 || t[0] !== 1 || t[1] !== 1) throw new Error(`ONNX export: reshape of ${name} to ${JSON.stringify(t)}`);
        y = g.node('Reshape', [x, g.int64s(`${name}.shape`, [-1, t[2], 1, 1])], name);
        break;
      }
      case 'Add':
        y = inputs.slice(1).reduce((acc, b, i) => g.node('Add', [acc, b], i === inputs.length - 2 ? name : `${name}_${i}`), x);
        break;
      case 'Multiply':
        y = inputs.slice(1).reduce((acc, b, i) => g.node('Mul', [acc, b], i === inputs.length - 2 ? name : `${name}_${i}`), x);
        break;
      case 'Concatenate':
        y = g.node('Concat', inputs, name, [{ name: 'axis', i: 1 }]);
        break;
      case 'Flatten':
        y = g.node('Flatten', [x], name, [{ name: 'axis', i: 1 }]);
        break;
      case 'AdaptiveAveragePooling2D': {
        const raw = layer.inboundNodes[0].inputShapes as (number | null)[] | (number | null)[][];
        const s = (Array.isArray(raw[0]) ? raw[0] : raw) as (number | null)[];
        const [h, w, outH, outW] = [s[1]!, s[2]!, ...pair(cfg.outputSize)];
        y = x;
        if (w !== outW) {
          const m = adaptivePoolMatrix(w, outW); // [outW, w] -> its transpose [w, outW]
          const t = new Float32Array(w * outW);
          for (let i = 0; i < outW; i++) for (let j = 0; j < w; j++) t[j * outW + i] = m[i * w + j];
          y = g.node('MatMul', [y, g.floats(`${name}.pool_w`, t, [w, outW])], `${name}_w`);
        }
        if (h !== outH) y = g.node('MatMul', [g.floats(`${name}.pool_h`, adaptivePoolMatrix(h, outH), [outH, h]), y], `${name}_h`);
        break;
      }
      case 'Dense': {
        y = g.node('Gemm', [x, param(layer, 'weight'), param(layer, 'bias')], name, [{ name: 'transB', i: 1 }]);
        if (cfg.activation === 'relu') y = g.node('Relu', [y], `${name}_relu`);
        else if (cfg.activation && cfg.activation !== 'linear') throw new Error(`ONNX export: ${name} has activation ${String(cfg.activation)}`);
        break;
      }
      case 'SeededDropout':
      case 'SeededStochasticDepth':
        y = x;
        break;
      default:
        throw new Error(`ONNX export: no ONNX counterpart for layer ${name} (${cls})`);
    }
    out.set(name, y);
    last = y;
  }
  // The graph's output gets a stable name.
  const outputName = 'output';
  g.node('Identity', [last], 'output', [], [outputName]);
  const outDims = model.outputs[0].shape[1]!;
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, model.name);
  for (const t of g.initializers) graph.message(5, t);
  graph.message(11, valueInfo(inputName, ['batch', 3, size, size]));
  graph.message(12, valueInfo(outputName, ['batch', outDims]));
  const m = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'Cohort Studio')
    .string(3, '1')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET));
  for (const [k, v] of Object.entries(opts.metadata ?? {})) m.message(14, new ProtoWriter().string(1, k).string(2, v));
  return m.finish();
}
