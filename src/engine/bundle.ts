/**
 * Export bundles: each trained student (and the teacher if asked) as a TensorFlow.js layers model
 * (`model.json` + `weights.bin`, loadable with `tf.loadLayersModel`), an ensemble manifest
 * (members, rule, class names, input size, normalisation, task), the run config with its seed, and
 * the metrics, zipped with fflate. Saving goes through `tf.io.withSaveHandler`, never
 * `downloads://`, which needs `document` and fails in a worker.
 *
 * Also the way back: open a bundle, load its members and run the ensemble on new images.
 */
import * as tf from '@tensorflow/tfjs';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { Normalization, RunConfig } from '../core/config';
import './customLayers';
import { assembleBatch } from './batch';
import type { Samples } from '../core/samples';
import { ensembleBoxRows, ensembleRows, type BoxEnsembleRule, type EnsembleRule } from './ensemble';
import { EngineError } from '../core/errors';

export const BUNDLE_FORMAT = 'cohort-studio-bundle';

export interface EnsembleManifest {
  format: typeof BUNDLE_FORMAT;
  version: 1;
  task: 'classify' | 'box';
  /** Member folders inside the bundle, e.g. "student1". */
  members: { name: string; arch: string; width: number; params: number; path: string }[];
  teacher?: { name: string; arch: string; width: number; params: number; path: string };
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
  networks: { name: string; role: 'teacher' | 'student'; arch: string; width: number; params: number }[];
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
  const entry = (n: BundleInput['networks'][number]) => ({ name: n.name, arch: n.arch, width: n.width, params: n.params, path: n.name });
  const students = b.networks.filter((n) => n.role === 'student');
  for (const n of students) {
    const f = await modelToFiles(b.models[n.name]);
    files[`${n.name}/model.json`] = f['model.json'];
    files[`${n.name}/weights.bin`] = f['weights.bin'];
  }
  const teacher = b.networks.find((n) => n.role === 'teacher');
  if (b.includeTeacher && teacher && b.models[teacher.name]) {
    const f = await modelToFiles(b.models[teacher.name]);
    files[`${teacher.name}/model.json`] = f['model.json'];
    files[`${teacher.name}/weights.bin`] = f['weights.bin'];
  }
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
      "Networks using VGG's classifier or dropout contain the custom layers AdaptiveAveragePooling2D and SeededDropout.",
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

/** Read a bundle made by `makeBundle`; a wrong or damaged file gives a typed error. */
export async function openBundle(zip: Uint8Array): Promise<OpenedBundle> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (e) {
    throw new EngineError('INVALID_CONFIG', `This file is not a zip bundle: ${e instanceof Error ? e.message : String(e)}`, 'bundle');
  }
  // Accept a bundle zipped with an enclosing folder.
  const manifestPath = Object.keys(files).find((p) => p === 'ensemble.json' || p.endsWith('/ensemble.json'));
  if (!manifestPath) throw new EngineError('INVALID_CONFIG', 'The bundle has no ensemble.json: it was not made by Cohort Studio', 'ensemble.json');
  const root = manifestPath.slice(0, manifestPath.length - 'ensemble.json'.length);
  const manifest = JSON.parse(strFromU8(files[manifestPath])) as EnsembleManifest;
  if (manifest.format !== BUNDLE_FORMAT)
    throw new EngineError('INVALID_CONFIG', `ensemble.json has format ${String(manifest.format)}, expected ${BUNDLE_FORMAT}`, 'ensemble.json');
  const members: tf.LayersModel[] = [];
  try {
    for (const m of manifest.members) {
      const json = files[`${root}${m.path}/model.json`];
      const weights = files[`${root}${m.path}/weights.bin`];
      if (!json || !weights) throw new EngineError('INVALID_CONFIG', `The bundle lacks ${m.path}/model.json or weights.bin`, m.path);
      members.push(await modelFromFiles({ 'model.json': json, 'weights.bin': weights }));
    }
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  const parse = (p: string) => (files[`${root}${p}`] ? JSON.parse(strFromU8(files[`${root}${p}`])) : null);
  return { manifest, members, config: parse('config.json'), metrics: parse('metrics.json') };
}

/** Free an opened bundle's networks. */
export function closeBundle(b: OpenedBundle): void {
  for (const m of b.members) m.dispose();
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
