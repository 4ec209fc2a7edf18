/**
 * The finished runs of every kept experiment, in storage (the origin's private file system; memory
 * where the browser has none), not in the worker's memory: each run's trained networks as model
 * files, its config, networks, final metrics and test predictions; per seed the test set's labels
 * (or boxes) and ids, the first test images Inspect shows, and the seed's shared teacher (stored
 * once, not once per run that uses it). Inspect, Compare's curves and Export read them back from
 * storage, so they work after a reload, and the worker's memory does not grow with the runs.
 *
 *   archive/<experiment>/context.json           what an export records (resize, seeds, dataset)
 *   archive/<experiment>/seed-<s>/test.json     test labels, boxes, ids; test.bin: first images
 *   archive/<experiment>/seed-<s>/teacher/      the shared teacher (model.json, weights.bin)
 *   archive/<experiment>/<run>/run.json         written last: the run is complete once it exists
 *   archive/<experiment>/<run>/predictions.bin  every network's and ensemble's test predictions
 *   archive/<experiment>/<run>/<network>/       model.json, weights.bin
 *
 * Owns: what is kept of a finished run, where, and the Inspect view of it. Runs in the studio
 * worker; no DOM beyond the `FileStore` it is given.
 */
import type { PlannedRun } from '../core/events';
import type { FileStore } from '../core/files';
import type { DatasetInfo } from '../core/results';
import { imageBytes, pixelsOf, type Samples } from '../core/samples';
import { countsOf, thumbnail, type Thumbnail } from '../data/summary';
import { modelToFiles, type ModelFiles } from '../engine/bundle';
import type { RunResult } from '../engine/trainer';

/** Test images kept per seed for Inspect (it shows at most this many). */
export const INSPECT_IMAGES = 200;

const ROOT = 'archive';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A finished run read back from storage: enough to export it. */
export interface KeptRun {
  key: string;
  result: Pick<RunResult, 'config' | 'networks' | 'final'>;
  files: Record<string, ModelFiles>;
  /** Images per class (or `images`) in the run's training and test sets, for the model card. */
  counts?: { train: Record<string, number>; test: Record<string, number> };
}

/** What an export of the experiment's runs records. */
export interface ArchiveContext {
  resize: 'stretch' | 'pad';
  seeds: number[];
  dataset: DatasetInfo;
}

/** A finished run's test images with every network's and ensemble's predictions. */
export interface Inspection {
  key: string;
  task: 'classify' | 'box';
  classNames?: string[];
  images: Thumbnail[];
  labels?: number[];
  boxes?: number[][];
  networks: Record<string, number[][]>;
  ensembles: Record<string, number[][]>;
}

interface RunMeta {
  version: 1;
  key: string;
  seed: number;
  result: KeptRun['result'];
  /** Network name -> folder of its model files, relative to the experiment. */
  models: Record<string, string>;
  /** Float32 offsets and lengths in predictions.bin. */
  predictions: { networks: Record<string, [number, number]>; ensembles: Record<string, [number, number]> };
  /** Bytes this run wrote (its own networks and predictions; a shared teacher counts with its seed). */
  bytes: number;
  counts?: KeptRun['counts'];
}

interface TestMeta {
  version: 1;
  count: number;
  size: number;
  /** Images in test.bin: the first `stored` of the test set. */
  stored: number;
  labels?: number[];
  boxes?: number[];
  ids?: string[];
  bytes: number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** The folder name an experiment's runs are kept under (ids are made safe for file names). */
export const archiveName = safe;

export class RunArchive {
  constructor(readonly files: FileStore) {}

  private dir(id: string): string {
    return `${ROOT}/${safe(id)}`;
  }

  private async readJson<T>(path: string): Promise<T | null> {
    const b = await this.files.read(path);
    if (!b) return null;
    try {
      return JSON.parse(dec.decode(b)) as T;
    } catch {
      return null;
    }
  }

  private writeJson(path: string, value: unknown): Promise<void> {
    return this.files.write(path, enc.encode(JSON.stringify(value)));
  }

  /** Record what the experiment's exports need (once per session; a resume writes the same). */
  begin(id: string, context: ArchiveContext): Promise<void> {
    return this.writeJson(`${this.dir(id)}/context.json`, context);
  }

  context(id: string): Promise<ArchiveContext | null> {
    return this.readJson<ArchiveContext>(`${this.dir(id)}/context.json`);
  }

  /** Write a model's files; weights first, so a model.json means the model is whole. Returns bytes. */
  private async writeModel(folder: string, f: ModelFiles): Promise<number> {
    await this.files.write(`${folder}/weights.bin`, f['weights.bin']);
    await this.files.write(`${folder}/model.json`, f['model.json']);
    return f['weights.bin'].length + f['model.json'].length;
  }

  /** The seed's test set as Inspect needs it, written once per seed. */
  private async keepTest(id: string, seed: number, test: Samples): Promise<void> {
    const dir = `${this.dir(id)}/seed-${seed}`;
    if (await this.files.read(`${dir}/test.json`)) return;
    const stored = Math.min(test.count, INSPECT_IMAGES);
    const px = imageBytes(test);
    const images = new Uint8Array(stored * px);
    for (let i = 0; i < stored; i++) images.set(pixelsOf(test, i), i * px);
    await this.files.write(`${dir}/test.bin`, images);
    const meta: TestMeta = {
      version: 1,
      count: test.count,
      size: test.size,
      stored,
      labels: test.labels ? Array.from(test.labels) : undefined,
      boxes: test.boxes ? Array.from(test.boxes) : undefined,
      ids: test.ids,
      bytes: images.length,
    };
    await this.writeJson(`${dir}/test.json`, meta);
  }

  /**
   * Keep a finished run: its networks' model files (the models themselves are freed by the
   * caller), its predictions, and once per seed the test set and the shared teacher.
   */
  async keep(id: string, run: PlannedRun, r: RunResult, test: Samples, train?: Samples): Promise<void> {
    const dir = this.dir(id);
    const key = `${run.method}:${run.seed}`;
    const runDir = `${dir}/${safe(key)}`;
    await this.keepTest(id, run.seed, test);
    const models: Record<string, string> = {};
    let bytes = 0;
    for (const [name, model] of Object.entries(r.models)) {
      const shared = name === 'teacher' && run.sharedTeacher;
      const folder = shared ? `seed-${run.seed}/teacher` : `${safe(key)}/${safe(name)}`;
      models[name] = folder;
      if (shared && (await this.files.read(`${dir}/${folder}/model.json`))) continue;
      const written = await this.writeModel(`${dir}/${folder}`, await modelToFiles(model));
      if (shared) await this.writeJson(`${dir}/seed-${run.seed}/teacher.json`, { bytes: written });
      else bytes += written;
    }
    const parts: Float32Array[] = [];
    let at = 0;
    const place = (rec: Record<string, Float32Array>) => {
      const out: Record<string, [number, number]> = {};
      for (const [name, p] of Object.entries(rec)) {
        out[name] = [at, p.length];
        parts.push(p);
        at += p.length;
      }
      return out;
    };
    const predictions = { networks: place(r.predictions.networks), ensembles: place(r.predictions.ensembles) };
    const blob = new Float32Array(at);
    let o = 0;
    for (const p of parts) {
      blob.set(p, o);
      o += p.length;
    }
    const predBytes = new Uint8Array(blob.buffer);
    await this.files.write(`${runDir}/predictions.bin`, predBytes);
    bytes += predBytes.length;
    const names = r.config.task === 'classify' ? r.config.classNames : undefined;
    const counts = train ? { train: countsOf(train, names), test: countsOf(test, names) } : undefined;
    const meta: RunMeta = {
      version: 1,
      key,
      seed: run.seed,
      result: { config: r.config, networks: r.networks, final: r.final },
      models,
      predictions,
      bytes,
      counts,
    };
    await this.writeJson(`${runDir}/run.json`, meta);
  }

  private meta(id: string, key: string): Promise<RunMeta | null> {
    return this.readJson<RunMeta>(`${this.dir(id)}/${safe(key)}/run.json`);
  }

  /** A kept run with its model files read from storage, or undefined if it was not kept. */
  async get(id: string, key: string): Promise<KeptRun | undefined> {
    const m = await this.meta(id, key);
    if (!m) return undefined;
    const files: Record<string, ModelFiles> = {};
    for (const [name, folder] of Object.entries(m.models)) {
      const json = await this.files.read(`${this.dir(id)}/${folder}/model.json`);
      const weights = await this.files.read(`${this.dir(id)}/${folder}/weights.bin`);
      if (!json || !weights) return undefined;
      files[name] = { 'model.json': json, 'weights.bin': weights };
    }
    return { key, result: m.result, files, counts: m.counts };
  }

  /** Keys of the runs kept for the experiment. */
  async runs(id: string): Promise<string[]> {
    const dir = this.dir(id);
    const out: string[] = [];
    for (const p of await this.files.list(`${dir}/`)) {
      if (!p.endsWith('/run.json')) continue;
      const m = await this.readJson<RunMeta>(p);
      if (m) out.push(m.key);
    }
    return out.sort();
  }

  /** The experiment's kept runs and the bytes they take (networks, predictions, test images, shared teachers). */
  async summary(id: string): Promise<{ runs: string[]; bytes: number }> {
    const dir = this.dir(id);
    let bytes = 0;
    const runs: string[] = [];
    for (const p of await this.files.list(`${dir}/`)) {
      if (p.endsWith('/run.json')) {
        const m = await this.readJson<RunMeta>(p);
        if (m) {
          runs.push(m.key);
          bytes += m.bytes;
        }
      } else if (p.endsWith('/test.json')) bytes += (await this.readJson<TestMeta>(p))?.bytes ?? 0;
      else if (/\/seed-[^/]+\/teacher\.json$/.test(p)) bytes += (await this.readJson<{ bytes: number }>(p))?.bytes ?? 0;
    }
    return { runs: runs.sort(), bytes };
  }

  /** The folder names (`archiveName`) of every experiment with something kept. */
  async ids(): Promise<string[]> {
    const out = new Set<string>();
    for (const p of await this.files.list(`${ROOT}/`)) {
      const m = /^archive\/([^/]+)\//.exec(p);
      if (m) out.add(m[1]);
    }
    return Array.from(out);
  }

  /** Free everything kept of the experiment. */
  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    for (const p of await this.files.list(`${dir}/`)) await this.files.remove(p);
    await this.files.remove(dir);
  }

  /** Labels (or boxes) and every network's and ensemble's predictions on all test images, without the images. */
  async predictions(id: string, key: string): Promise<Omit<Inspection, 'images'> | null> {
    const v = await this.view(id, key, Infinity, false);
    if (!v) return null;
    const { images: _images, ...rest } = v;
    return rest;
  }

  inspect(id: string, key: string, limit = INSPECT_IMAGES): Promise<Inspection | null> {
    return this.view(id, key, limit, true);
  }

  private async view(id: string, key: string, limit: number, withImages: boolean): Promise<Inspection | null> {
    const m = await this.meta(id, key);
    if (!m) return null;
    const testDir = `${this.dir(id)}/seed-${m.seed}`;
    const t = await this.readJson<TestMeta>(`${testDir}/test.json`);
    const blob = await this.files.read(`${this.dir(id)}/${safe(key)}/predictions.bin`);
    if (!t || !blob) return null;
    const n = Math.min(t.count, limit, withImages ? t.stored : Infinity);
    const f = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
    const config = m.result.config;
    const width = config.task === 'classify' ? config.classes : 4;
    const rows = ([at]: [number, number]) => Array.from({ length: n }, (_, i) => Array.from(f.subarray(at + i * width, at + (i + 1) * width)));
    const networks: Record<string, number[][]> = {};
    for (const [name, loc] of Object.entries(m.predictions.networks)) networks[name] = rows(loc);
    const ensembles: Record<string, number[][]> = {};
    for (const [name, loc] of Object.entries(m.predictions.ensembles)) ensembles[name] = rows(loc);
    let images: Thumbnail[] = [];
    if (withImages) {
      const pixels = (await this.files.read(`${testDir}/test.bin`)) ?? new Uint8Array();
      const s: Samples = {
        images: pixels,
        count: t.stored,
        size: t.size,
        ids: t.ids?.slice(0, t.stored),
        boxes: t.boxes ? Float32Array.from(t.boxes.slice(0, t.stored * 4)) : undefined,
      };
      images = Array.from({ length: n }, (_, i) => thumbnail(s, i, 160));
    }
    return {
      key,
      task: config.task,
      classNames: config.classNames,
      images,
      labels: t.labels ? t.labels.slice(0, n) : undefined,
      boxes: t.boxes ? Array.from({ length: n }, (_, i) => t.boxes!.slice(i * 4, i * 4 + 4)) : undefined,
      networks,
      ensembles,
    };
  }

  /**
   * What Grad-CAM needs of a kept run: the run (its model files), the test images Inspect shows
   * (the first ones stored), their labels, and each network's predictions on them.
   */
  async saliencyInputs(id: string, key: string): Promise<{ run: KeptRun; test: Samples; predictions: Record<string, Float32Array> } | null> {
    const run = await this.get(id, key);
    const m = await this.meta(id, key);
    if (!run || !m) return null;
    const testDir = `${this.dir(id)}/seed-${m.seed}`;
    const t = await this.readJson<TestMeta>(`${testDir}/test.json`);
    const pixels = await this.files.read(`${testDir}/test.bin`);
    const blob = await this.files.read(`${this.dir(id)}/${safe(key)}/predictions.bin`);
    if (!t || !pixels || !blob) return null;
    const test: Samples = {
      images: pixels,
      count: t.stored,
      size: t.size,
      labels: t.labels ? Int32Array.from(t.labels.slice(0, t.stored)) : undefined,
      ids: t.ids?.slice(0, t.stored),
    };
    const f = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
    const config = m.result.config;
    const width = config.task === 'classify' ? config.classes : 4;
    const predictions: Record<string, Float32Array> = {};
    for (const [name, [at]] of Object.entries(m.predictions.networks)) predictions[name] = f.slice(at, at + t.stored * width);
    return { run, test, predictions };
  }
}
