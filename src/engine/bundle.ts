/**
 * Export bundles: each trained student (and the teacher if asked) as a TensorFlow.js layers model
 * (`model.json` + `weights.bin`, loadable with `tf.loadLayersModel`), an ensemble manifest
 * (members, rule, class names, input size, normalisation, task), the run config with its seed, and
 * the metrics, zipped with fflate. Saving goes through `tf.io.withSaveHandler`, never
 * `downloads://`, which needs `document` and fails in a worker.
 *
 * Also the way back: open a bundle, load its members and run the ensemble on new images. A bundle
 * someone sent is untrusted input: `openBundle` reads the zip's directory and checks it first
 * (zip.ts), inflates only the entries it needs (`BUNDLE_ENTRIES`, each within its size cap),
 * validates `ensemble.json` and every `model.json` against its weights (bundleCheck.ts), and only
 * then lets TensorFlow.js build the members.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, zipSync } from 'fflate';
import type { Normalization, RunConfig } from '../core/config';
import './customLayers';
import { assembleBatch } from './batch';
import type { Samples } from '../core/samples';
import { ensembleBoxRows, ensembleRows, type BoxEnsembleRule, type EnsembleRule } from './ensemble';
import { EngineError } from '../core/errors';
import { forgetDisposedGraphs } from './graphCache';
import type { WeightsSource } from '../core/weights';
import { interopFiles, interopInput } from './interop/exportFiles';
import { checkManifest, checkModel } from './bundleCheck';
import { readZipDirectory, readZipEntry, zipSource, type ZipEntry, type ZipSource } from './zip';

export const BUNDLE_FORMAT = 'cohort-studio-bundle';

export interface EnsembleManifest {
  format: typeof BUNDLE_FORMAT;
  version: 1;
  task: 'classify' | 'box';
  /** Member folders inside the bundle, e.g. "student1". */
  members: BundleMember[];
  teacher?: BundleMember;
  /**
   * What each folder's `<name>.safetensors` (torchvision's state dict) and `<name>.onnx` take: NCHW
   * float32 normalised as `normalization` says (bundles made before these files existed lack it).
   */
  interop?: ReturnType<typeof interopInput>;
  rule: EnsembleRule | BoxEnsembleRule;
  classNames?: string[];
  inputSize: number;
  normalization: Normalization;
  /** How images are brought to the input size. */
  resize: 'stretch' | 'pad';
  /** What the outputs mean. */
  outputs: string;
  createdAt: string;
}

export interface BundleMember {
  name: string;
  arch: string;
  width: number;
  params: number;
  path: string;
  /** Where the network's initial weights came from. */
  weights?: WeightsSource;
  /** The member's files besides model.json and weights.bin, inside its folder. */
  files?: string[];
}

export interface ModelFiles {
  'model.json': Uint8Array;
  'weights.bin': Uint8Array;
}

/** A model as the two files tfjs's own loader reads. */
export async function modelToFiles(model: tf.LayersModel): Promise<ModelFiles> {
  let files: ModelFiles | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData
        ? new Uint8Array(Array.isArray(artifacts.weightData) ? await new Blob(artifacts.weightData).arrayBuffer() : artifacts.weightData)
        : new Uint8Array();
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      files = { 'model.json': strToU8(JSON.stringify(json)), 'weights.bin': weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files!;
}

/** Load a model from the two files. */
export async function modelFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  const json = JSON.parse(strFromU8(files['model.json'])) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const w = files['weights.bin'];
  const buffer = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((m) => m.weights), weightData: buffer }),
  );
}

export interface BundleInput {
  config: RunConfig;
  models: Record<string, tf.LayersModel>;
  networks: { name: string; role: 'teacher' | 'student'; arch: string; width: number; params: number; weights?: WeightsSource }[];
  metrics: unknown;
  includeTeacher?: boolean;
  rule?: EnsembleRule | BoxEnsembleRule;
  resize?: 'stretch' | 'pad';
  extra?: Record<string, unknown>;
  /** More text files for the bundle's root (MODEL_CARD.md, spec.json). */
  textFiles?: Record<string, string>;
}

/** Zip the trained students (and the teacher if asked) with the manifest, config and metrics. */
export async function makeBundle(b: BundleInput): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const extra: Record<string, string[]> = {};
  const entry = (n: BundleInput['networks'][number]): BundleMember => ({
    name: n.name,
    arch: n.arch,
    width: n.width,
    params: n.params,
    path: n.name,
    weights: n.weights ?? { kind: 'seeded' },
    files: extra[n.name] ?? [],
  });
  const c = b.config;
  const write = async (n: BundleInput['networks'][number]) => {
    const f = await modelToFiles(b.models[n.name]);
    files[`${n.name}/model.json`] = f['model.json'];
    files[`${n.name}/weights.bin`] = f['weights.bin'];
    // torchvision's state dict, ONNX and WSInfer's config beside the TensorFlow.js model.
    const more = await interopFiles(b.models[n.name], {
      name: n.name,
      arch: n.arch,
      width: n.width,
      task: c.task,
      classes: c.classes,
      classNames: c.classNames,
      inputSize: c.inputSize,
      normalization: c.normalization,
      resize: b.resize ?? 'stretch',
      weights: n.weights,
    });
    for (const [k, v] of Object.entries(more)) files[`${n.name}/${k}`] = v;
    extra[n.name] = Object.keys(more);
  };
  const students = b.networks.filter((n) => n.role === 'student');
  for (const n of students) await write(n);
  const teacher = b.networks.find((n) => n.role === 'teacher');
  if (b.includeTeacher && teacher && b.models[teacher.name]) await write(teacher);
  const manifest: EnsembleManifest = {
    format: BUNDLE_FORMAT,
    version: 1,
    task: b.config.task,
    members: students.map(entry),
    ...(b.includeTeacher && teacher ? { teacher: entry(teacher) } : {}),
    rule: b.rule ?? (b.config.task === 'classify' ? 'max' : b.config.boxEnsemble),
    classNames: b.config.task === 'classify' ? (b.config.classNames ?? Array.from({ length: b.config.classes }, (_, i) => `class${i}`)) : undefined,
    inputSize: b.config.inputSize,
    normalization: b.config.normalization,
    interop: interopInput(b.config),
    resize: b.resize ?? 'stretch',
    outputs:
      b.config.task === 'classify'
        ? 'Each member outputs logits; softmax (T = 1), then the ensemble rule over members, then argmax.'
        : 'Each member outputs a box (cx, cy, w, h) in [0, 1] of the image; the ensemble combines them coordinate-wise.',
    createdAt: new Date().toISOString(),
  };
  files['ensemble.json'] = strToU8(JSON.stringify(manifest, null, 2));
  files['config.json'] = strToU8(JSON.stringify({ ...b.config, ...(b.extra ?? {}) }, null, 2));
  files['metrics.json'] = strToU8(JSON.stringify(b.metrics, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
  files['README.txt'] = strToU8(
    [
      'Cohort Studio export.',
      'Each folder holds one network as a TensorFlow.js layers model: tf.loadLayersModel(".../model.json").',
      'ensemble.json says how to combine the members, the input size and the normalisation:',
      'x = (rgb / 255 - mean) / std, channels last, shape [N, size, size, 3].',
      "Networks using VGG's classifier or dropout contain the custom layers AdaptiveAveragePooling2D, SeededDropout and SeededStochasticDepth.",
      '',
      'Each folder also holds <name>.safetensors (torchvision state dict) and <name>.onnx (opset 13):',
      'both take NCHW float32 [N, 3, size, size], normalised as above. In Python:',
      '  import torch, torchvision, safetensors.torch as st',
      '  m = torchvision.models.resnet18(num_classes=2)   # the arch and class count of ensemble.json',
      '  m.load_state_dict(st.load_file("student1/student1.safetensors"), strict=True); m.eval()',
      '  import onnxruntime as ort; s = ort.InferenceSession("student1/student1.onnx"); s.run(None, {"input": x})',
      'TorchScript for QuPath / WSInfer / MONAI Deploy: python3 to_torchscript.py student1/student1.safetensors',
      "(in the studio's python/ folder; it also builds other widths and the _nofc VGGs).",
      "Classification folders hold WSInfer's config.json; set its spacing_um_px to your tiles' resolution (0.5 is written).",
    ].join('\n'),
  );
  for (const [path, text] of Object.entries(b.textFiles ?? {})) files[path] = strToU8(text);
  return zipSync(files, { level: 0 });
}

export interface OpenedBundle {
  manifest: EnsembleManifest;
  members: tf.LayersModel[];
  config: unknown;
  metrics: unknown;
}

const MiB = 2 ** 20;

/** Limits of a bundle the studio opens: the file, its entries and what is inflated in all. */
export const BUNDLE_LIMITS = { maxFileBytes: 2048 * MiB, maxEntries: 4096, maxTotalBytes: 2048 * MiB };

/**
 * The entries `openBundle` reads, by path under the bundle's root, with the most each may declare.
 * One line per kind; anything else in the zip (other exports' files, a __MACOSX folder) is never
 * inflated.
 */
export const BUNDLE_ENTRIES: { pattern: RegExp; maxBytes: number }[] = [
  { pattern: /^ensemble\.json$/, maxBytes: 1 * MiB },
  { pattern: /^(config|metrics)\.json$/, maxBytes: 16 * MiB },
  { pattern: /^[A-Za-z0-9_-]{1,64}\/model\.json$/, maxBytes: 64 * MiB },
  { pattern: /^[A-Za-z0-9_-]{1,64}\/weights\.bin$/, maxBytes: 1536 * MiB },
];

const badBundle = (message: string, subject: string) => new EngineError('INVALID_CONFIG', message, subject);

function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(strFromU8(bytes));
  } catch (e) {
    throw badBundle(`${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, path);
  }
}

/** Read a bundle made by `makeBundle` (bytes, or the user's File read by slices); a wrong, damaged or crafted file gives a typed error. */
export async function openBundle(zip: Uint8Array | Blob, limits = BUNDLE_LIMITS): Promise<OpenedBundle> {
  const src: ZipSource = zipSource(zip);
  const entries = await readZipDirectory(src, limits).catch((e: unknown) => {
    if (e instanceof EngineError) throw e;
    throw badBundle(`This file is not a zip bundle: ${e instanceof Error ? e.message : String(e)}`, 'bundle');
  });
  // Accept a bundle zipped with an enclosing folder.
  const manifestEntry = entries.find((e) => e.name === 'ensemble.json') ?? entries.find((e) => /^[^/]+\/ensemble\.json$/.test(e.name));
  if (!manifestEntry) throw new EngineError('INVALID_CONFIG', 'The bundle has no ensemble.json: it was not made by Cohort Studio', 'ensemble.json');
  const root = manifestEntry.name.slice(0, manifestEntry.name.length - 'ensemble.json'.length);
  const wanted = new Map<string, ZipEntry>();
  let total = 0;
  for (const e of entries) {
    if (!e.name.startsWith(root)) continue;
    const rel = e.name.slice(root.length);
    const kind = BUNDLE_ENTRIES.find((k) => k.pattern.test(rel));
    if (!kind) continue;
    if (e.size > kind.maxBytes) {
      throw new EngineError('BUNDLE_TOO_LARGE', `${rel} declares ${(e.size / MiB).toFixed(1)} MiB, over the ${kind.maxBytes / MiB} MiB it may have`, rel);
    }
    total += e.size;
    wanted.set(rel, e);
  }
  if (total > limits.maxTotalBytes) {
    throw new EngineError(
      'BUNDLE_TOO_LARGE',
      `The bundle's entries declare ${(total / MiB).toFixed(0)} MiB in all, over ${limits.maxTotalBytes / MiB} MiB`,
      'bundle',
    );
  }
  const read = async (rel: string): Promise<Uint8Array | null> => {
    const e = wanted.get(rel);
    return e ? readZipEntry(src, e) : null;
  };
  const manifestValue = parseJson((await read('ensemble.json'))!, 'ensemble.json');
  if ((manifestValue as { format?: unknown } | null)?.format !== BUNDLE_FORMAT) {
    throw new EngineError(
      'INVALID_CONFIG',
      `ensemble.json has format ${String((manifestValue as { format?: unknown } | null)?.format)}, expected ${BUNDLE_FORMAT}`,
      'ensemble.json',
    );
  }
  checkManifest(manifestValue);
  const manifest = manifestValue as EnsembleManifest;
  const outputs = manifest.task === 'classify' ? manifest.classNames!.length : 4;
  // Every member is checked before any is built: a bad one allocates nothing.
  const checked = [];
  for (const m of manifest.members) {
    const json = await read(`${m.path}/model.json`);
    const weights = wanted.get(`${m.path}/weights.bin`);
    if (!json || !weights) throw new EngineError('INVALID_CONFIG', `The bundle lacks ${m.path}/model.json or weights.bin`, m.path);
    checked.push({
      path: m.path,
      model: checkModel(m.path, parseJson(json, `${m.path}/model.json`), weights.size, { inputSize: manifest.inputSize, outputs }),
    });
  }
  const members: tf.LayersModel[] = [];
  try {
    for (const c of checked) {
      const w = (await read(`${c.path}/weights.bin`))!;
      const whole = w.byteOffset === 0 && w.byteLength === w.buffer.byteLength;
      const buffer = (whole ? w.buffer : w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength)) as ArrayBuffer;
      members.push(await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: c.model.modelTopology, weightSpecs: c.model.weightSpecs, weightData: buffer })));
    }
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  const parse = async (p: string) => {
    const b = await read(p);
    return b ? parseJson(b, p) : null;
  };
  return { manifest, members, config: await parse('config.json'), metrics: await parse('metrics.json') };
}

/** Free an opened bundle's networks. */
export function closeBundle(b: OpenedBundle): void {
  for (const m of b.members) m.dispose();
  forgetDisposedGraphs();
}

export interface BundlePrediction {
  /** Per member: [N, C] probabilities or [N, 4] boxes. */
  members: Float32Array[];
  ensemble: Float32Array;
  /** Classification: argmax of the ensemble per image. */
  labels?: number[];
}

/** Run a bundle's ensemble on images already at its input size. */
export async function predictBundle(b: OpenedBundle, s: Samples, batchSize = 16): Promise<BundlePrediction> {
  const m = b.manifest;
  const width = m.task === 'classify' ? m.classNames!.length : 4;
  const members: Float32Array[] = b.members.map(() => new Float32Array(s.count * width));
  for (let start = 0; start < s.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, s.count - start) }, (_, i) => start + i);
    const batch = assembleBatch(s, idx, m.normalization, width);
    for (let k = 0; k < b.members.length; k++) {
      const y = tf.tidy(() => {
        const x = tf.tensor4d(batch.x, [batch.n, m.inputSize, m.inputSize, 3]);
        const o = b.members[k].predict(x) as tf.Tensor;
        return m.task === 'classify' ? tf.softmax(o) : o;
      });
      members[k].set(await y.data(), start * width);
      y.dispose();
    }
  }
  const ensemble = m.task === 'classify' ? ensembleRows(members, m.rule as EnsembleRule) : ensembleBoxRows(members, m.rule as BoxEnsembleRule);
  const out: BundlePrediction = { members, ensemble };
  if (m.task === 'classify') {
    out.labels = [];
    for (let i = 0; i < s.count; i++) {
      let best = 0;
      for (let c = 1; c < width; c++) if (ensemble[i * width + c] > ensemble[i * width + best]) best = c;
      out.labels.push(best);
    }
  }
  return out;
}
