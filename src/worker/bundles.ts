/**
 * Export bundles in the worker: zip a finished run's networks with their manifest, open a bundle
 * someone exported, and run its ensemble on new images read through the import's own loading
 * (format by bytes, pixel limit, EXIF orientation, the bundle's resize).
 *
 * Owns: the opened bundle and the prediction rows the page shows. Runs in the studio worker.
 */
import type * as tf from '@tensorflow/tfjs';
import { EngineError } from '../core/errors';
import type { DatasetInfo, ResultsTable, RunRecord } from '../core/results';
import type { ExperimentSpec } from '../core/spec';
import type { Samples } from '../core/samples';
import { browserDecoder } from '../data/decode-browser';
import { inputFileOf, type FileWithPath } from '../data/inputFiles';
import { loadForNetwork } from '../data/load';
import { thumbnail, type Thumbnail } from '../data/summary';
import { closeBundle, makeBundle, modelFromFiles, openBundle, predictBundle, type EnsembleManifest, type OpenedBundle } from '../engine/bundle';
import { aggregate } from '../experiment/aggregate';
import { modelCard } from '../experiment/modelCard';
import type { KeptRun } from './archive';

export interface PredictionRow {
  path: string;
  label?: string;
  probabilities?: number[];
  box?: number[];
  members?: number[][];
}

export interface BundlePredictions {
  manifest: EnsembleManifest;
  rows: PredictionRow[];
  skipped: { path: string; code: string; message: string }[];
  thumbnails: Thumbnail[];
}

/** What an export knows of its experiment: the spec, the dataset, the runs finished so far (or the final table). */
export interface ExportContext {
  resize: 'stretch' | 'pad';
  seeds?: number[];
  dataset?: DatasetInfo;
  spec?: ExperimentSpec | null;
  records?: RunRecord[];
  table?: ResultsTable | null;
}

/** A zip of a finished run's students (and teacher), manifest, config, metrics, MODEL_CARD.md and spec.json. */
export async function exportRun(run: KeptRun, includeTeacher: boolean, context: ExportContext): Promise<Uint8Array> {
  const models: Record<string, tf.LayersModel> = {};
  try {
    for (const [name, f] of Object.entries(run.files)) if (name !== 'teacher' || includeTeacher) models[name] = await modelFromFiles(f);
    const c = run.result.config;
    const spec = context.spec ?? null;
    const table = context.table ?? (spec && context.records?.length ? aggregate(context.records, spec.methods, spec.seeds) : null);
    const card = modelCard({
      run: run.key,
      method: c.mode,
      seed: c.seed,
      config: c,
      networks: run.result.networks,
      final: run.result.final,
      exported: Object.keys(models),
      ensembleRule: c.task === 'classify' ? 'max' : c.boxEnsemble,
      resize: context.resize,
      spec,
      dataset: context.dataset ?? null,
      counts: run.counts ?? null,
      table,
    });
    return await makeBundle({
      config: run.result.config,
      models,
      networks: run.result.networks,
      metrics: run.result.final,
      includeTeacher,
      resize: context.resize,
      extra: { run: run.key, seeds: context.seeds, dataset: context.dataset },
      textFiles: { 'MODEL_CARD.md': card, ...(spec ? { 'spec.json': JSON.stringify(spec, null, 2) + '\n' } : {}) },
    });
  } finally {
    for (const m of Object.values(models)) m.dispose();
  }
}

/** The bundle the user opened last (one at a time). */
export class OpenedBundles {
  private opened: OpenedBundle | null = null;

  /** Open the user's file (read by slices, checked before anything is inflated; see engine/bundle). */
  async open(file: Blob): Promise<EnsembleManifest> {
    if (this.opened) closeBundle(this.opened);
    this.opened = null;
    this.opened = await openBundle(file);
    return this.opened.manifest;
  }

  /** Run the opened bundle's ensemble on images (a folder); skipped files are reported. */
  async predict(files: FileWithPath[]): Promise<BundlePredictions> {
    const opened = this.opened;
    if (!opened) throw new EngineError('INVALID_CONFIG', 'Open a bundle first');
    const m = opened.manifest;
    const rows: PredictionRow[] = [];
    const skipped: BundlePredictions['skipped'] = [];
    const images: Uint8Array[] = [];
    for (const f of files) {
      const file = inputFileOf(f);
      const r = await loadForNetwork(file, browserDecoder, { inputSize: m.inputSize, resize: m.resize });
      if (!r.ok) {
        skipped.push({ path: file.path, code: r.code, message: r.message });
        continue;
      }
      images.push(r.rgb);
      rows.push({ path: file.path });
    }
    const all = new Uint8Array(images.length * m.inputSize * m.inputSize * 3);
    images.forEach((im, i) => all.set(im, i * im.length));
    const s: Samples = { images: all, count: images.length, size: m.inputSize, ids: rows.map((r) => r.path) };
    const p = await predictBundle(opened, s);
    const width = m.task === 'classify' ? m.classNames!.length : 4;
    const thumbnails: Thumbnail[] = [];
    rows.forEach((r, i) => {
      const ens = Array.from(p.ensemble.subarray(i * width, (i + 1) * width));
      r.members = p.members.map((mm) => Array.from(mm.subarray(i * width, (i + 1) * width)));
      if (m.task === 'classify') {
        r.probabilities = ens;
        r.label = m.classNames![p.labels![i]];
      } else r.box = ens;
      const t = thumbnail(s, i, 128, r.label);
      if (m.task === 'box') t.box = r.box as [number, number, number, number];
      thumbnails.push(t);
    });
    return { manifest: m, rows, skipped, thumbnails };
  }
}
