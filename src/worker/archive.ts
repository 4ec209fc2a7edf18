/**
 * The finished runs of the current experiment, kept for Inspect and Export: each run's trained
 * networks as model files, its config, networks, final metrics and test predictions, and its test
 * images.
 *
 * Owns: what is kept of a finished run and the Inspect view of it. Runs in the studio worker.
 */
import type { Samples } from '../core/samples';
import { countsOf, thumbnail, type Thumbnail } from '../data/summary';
import { modelToFiles, type ModelFiles } from '../engine/bundle';
import type { RunResult } from '../engine/trainer';

export interface KeptRun {
  key: string;
  result: Pick<RunResult, 'config' | 'networks' | 'final' | 'predictions'>;
  files: Record<string, ModelFiles>;
  test: Samples;
  /** Images per class (or `images`) in the run's training and test sets, for the model card. */
  counts?: { train: Record<string, number>; test: Record<string, number> };
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

export class RunArchive {
  private readonly runs = new Map<string, KeptRun>();

  clear(): void {
    this.runs.clear();
  }

  get(key: string): KeptRun | undefined {
    return this.runs.get(key);
  }

  /** Keep a finished run: its networks as model files (the models themselves are freed after). */
  async keep(key: string, r: RunResult, test: Samples, train?: Samples): Promise<void> {
    const files: Record<string, ModelFiles> = {};
    for (const [name, model] of Object.entries(r.models)) files[name] = await modelToFiles(model);
    const names = r.config.task === 'classify' ? r.config.classNames : undefined;
    const counts = train ? { train: countsOf(train, names), test: countsOf(test, names) } : undefined;
    this.runs.set(key, { key, result: { config: r.config, networks: r.networks, final: r.final, predictions: r.predictions }, files, test, counts });
  }

  /** Labels (or boxes) and every network's and ensemble's predictions on all test images, without the images. */
  predictions(key: string): Omit<Inspection, 'images'> | null {
    const k = this.runs.get(key);
    if (!k) return null;
    const { images: _images, ...rest } = this.view(k, k.test.count, false);
    return rest;
  }

  inspect(key: string, limit = 200): Inspection | null {
    const k = this.runs.get(key);
    return k ? this.view(k, Math.min(k.test.count, limit), true) : null;
  }

  private view(k: KeptRun, n: number, withImages: boolean): Inspection {
    const width = k.result.config.task === 'classify' ? k.result.config.classes : 4;
    const rows = (a: Float32Array) => Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));
    const networks: Record<string, number[][]> = {};
    for (const [name, p] of Object.entries(k.result.predictions.networks)) networks[name] = rows(p);
    const ensembles: Record<string, number[][]> = {};
    for (const [name, p] of Object.entries(k.result.predictions.ensembles)) ensembles[name] = rows(p);
    return {
      key: k.key,
      task: k.result.config.task,
      classNames: k.result.config.classNames,
      images: withImages ? Array.from({ length: n }, (_, i) => thumbnail(k.test, i, 160)) : [],
      labels: k.test.labels ? Array.from(k.test.labels.subarray(0, n)) : undefined,
      boxes: k.test.boxes ? Array.from({ length: n }, (_, i) => Array.from(k.test.boxes!.subarray(i * 4, i * 4 + 4))) : undefined,
      networks,
      ensembles,
    };
  }
}
