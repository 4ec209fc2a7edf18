/**
 * Saliency for Inspect: Grad-CAM maps (`engine/gradcam.ts`) of a finished run's networks on its
 * test images, for the class each network predicted, the true class, or a class picked by the
 * person, on the test images Inspect shows. The run's networks are loaded back from the archive's
 * model files once and kept while the same run is inspected; another run (or a new experiment)
 * frees them.
 *
 * Owns: the networks loaded for saliency. Runs in the studio worker.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../core/errors';
import { argmaxRows } from '../core/metrics';
import { assembleBatch } from '../engine/batch';
import { modelFromFiles, type ModelFiles } from '../engine/bundle';
import { gradCam, type GradCamMap } from '../engine/gradcam';
import type { Samples } from '../core/samples';
import type { RunArchive } from './archive';

/** Which class each map explains. */
export type SaliencyTarget = 'predicted' | 'true' | number;

/** Grad-CAM maps of some test images of a run, per network, in the order of `indices`. */
export interface Saliency {
  key: string;
  indices: number[];
  target: SaliencyTarget;
  networks: Record<string, GradCamMap[]>;
}

const BATCH = 16;

export class SaliencyRoom {
  private loaded: { at: string; models: Record<string, tf.LayersModel> } | null = null;

  constructor(private readonly archive: RunArchive) {}

  /** Free the networks loaded for saliency. */
  release(): void {
    if (this.loaded) for (const m of Object.values(this.loaded.models)) m.dispose();
    this.loaded = null;
  }

  private async models(at: string, files: Record<string, ModelFiles>): Promise<Record<string, tf.LayersModel>> {
    if (this.loaded?.at === at) return this.loaded.models;
    this.release();
    const models: Record<string, tf.LayersModel> = {};
    try {
      for (const [name, f] of Object.entries(files)) models[name] = await modelFromFiles(f);
    } catch (e) {
      for (const m of Object.values(models)) m.dispose();
      throw e;
    }
    this.loaded = { at, models };
    return models;
  }

  /** Maps for test images `indices` of run `key` of experiment `id`. */
  async gradCam(id: string, key: string, indices: number[], target: SaliencyTarget = 'predicted'): Promise<Saliency> {
    const kept = await this.archive.saliencyInputs(id, key);
    if (!kept) throw new EngineError('INVALID_CONFIG', `No trained networks are kept for run ${key}`, key);
    const { run, predictions } = kept;
    const test: Samples = kept.test;
    const c = run.result.config;
    if (c.task !== 'classify') throw new EngineError('INVALID_CONFIG', 'Grad-CAM explains classifiers; this run regresses boxes', key);
    const bad = indices.find((i) => !Number.isInteger(i) || i < 0 || i >= test.count);
    if (bad !== undefined) throw new EngineError('INVALID_CONFIG', `Test image ${bad} is not one Inspect shows (it shows ${test.count})`, key);
    const models = await this.models(`${id}/${key}`, run.files);
    const networks: Record<string, GradCamMap[]> = {};
    for (const [name, model] of Object.entries(models)) {
      const predicted = argmaxRows(predictions[name] ?? new Float32Array(), c.classes);
      const classOf = (i: number) => (target === 'predicted' ? (predicted[i] ?? 0) : target === 'true' ? test.labels![i] : target);
      const maps: GradCamMap[] = [];
      for (let start = 0; start < indices.length; start += BATCH) {
        const idx = indices.slice(start, start + BATCH);
        const batch = assembleBatch(test, idx, c.normalization, c.classes);
        const x = tf.tensor4d(batch.x, [batch.n, c.inputSize, c.inputSize, 3]);
        try {
          maps.push(...(await gradCam(model, x, idx.map(classOf))));
        } finally {
          x.dispose();
        }
      }
      networks[name] = maps;
    }
    return { key, indices, target, networks };
  }
}
