/**
 * Generated (synthetic) datasets, clearly labelled as such: for trying the studio without a
 * download, and for tests. Classification: tiles whose classes differ in stain hue and in the
 * density of dark "nuclei", invariant to flips and rotations so augmentation keeps them separable.
 * Detection: textured frames with one reddish elliptical "polyp" and its bounding box and mask.
 *
 * Plain TypeScript, no DOM: runs in workers, in Node tests and in the benchmark.
 */
import { Rng } from '../core/rng';
import type { Samples } from '../core/samples';

export interface SyntheticClassification extends Samples {
  labels: Int32Array;
  classNames: string[];
}

export interface SyntheticDetection extends Samples {
  boxes: Float32Array;
  /** count * size * size bytes, 255 inside the polyp. */
  masks: Uint8Array;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Balanced classes (sample i has class i % classes), `size` x `size` RGB tiles. */
export function generateClassification(opts: { count: number; size: number; classes?: number; seed?: number }): SyntheticClassification {
  const classes = opts.classes ?? 2;
  const { count, size } = opts;
  const rng = new Rng(opts.seed ?? 1);
  const images = new Uint8Array(count * size * size * 3);
  const labels = new Int32Array(count);
  const classNames = classes === 2 ? ['MSS', 'MSIMUT'] : Array.from({ length: classes }, (_, c) => `class${c}`);
  for (let i = 0; i < count; i++) {
    const cls = i % classes;
    labels[i] = cls;
    const t = classes === 1 ? 0 : cls / (classes - 1);
    // Stain: pink (eosin) to purple (haematoxylin) with the class, with per-tile variation.
    const base = [230 - 70 * t + rng.uniform(-12, 12), 150 - 40 * t + rng.uniform(-12, 12), 200 + 10 * t + rng.uniform(-12, 12)];
    const nuclei = Math.round((0.004 + 0.02 * t) * size * size * rng.uniform(0.7, 1.3));
    const o = i * size * size * 3;
    for (let p = 0; p < size * size; p++) {
      const n = rng.uniform(-18, 18);
      images[o + p * 3] = clamp255(base[0] + n);
      images[o + p * 3 + 1] = clamp255(base[1] + n);
      images[o + p * 3 + 2] = clamp255(base[2] + n);
    }
    for (let k = 0; k < nuclei; k++) {
      const cx = rng.uniform(0, size);
      const cy = rng.uniform(0, size);
      const r = rng.uniform(0.6, 1.6) * Math.max(1, size / 32);
      for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(size - 1, Math.ceil(cy + r)); y++) {
        for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(size - 1, Math.ceil(cx + r)); x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
            const q = o + (y * size + x) * 3;
            images[q] = 70;
            images[q + 1] = 40;
            images[q + 2] = 120;
          }
        }
      }
    }
  }
  return { images, labels, count, size, classNames, ids: Array.from({ length: count }, (_, i) => `synthetic/${classNames[labels[i]]}/${i}.png`) };
}

/** One polyp per frame; boxes as (cx, cy, w, h) in [0, 1]. */
export function generateDetection(opts: { count: number; size: number; seed?: number }): SyntheticDetection {
  const { count, size } = opts;
  const rng = new Rng(opts.seed ?? 2);
  const images = new Uint8Array(count * size * size * 3);
  const masks = new Uint8Array(count * size * size);
  const boxes = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) {
    const o = i * size * size * 3;
    const bg = [rng.uniform(150, 200), rng.uniform(70, 110), rng.uniform(60, 90)];
    for (let p = 0; p < size * size; p++) {
      const y = Math.floor(p / size);
      const x = p % size;
      const shade = 25 * Math.sin((x + y) / (size / 6)) + rng.uniform(-10, 10);
      images[o + p * 3] = clamp255(bg[0] + shade);
      images[o + p * 3 + 1] = clamp255(bg[1] + shade);
      images[o + p * 3 + 2] = clamp255(bg[2] + shade);
    }
    const rx = rng.uniform(0.1, 0.25) * size;
    const ry = rng.uniform(0.1, 0.25) * size;
    const cx = rng.uniform(rx + 1, size - rx - 1);
    const cy = rng.uniform(ry + 1, size - ry - 1);
    let x0 = size,
      y0 = size,
      x1 = -1,
      y1 = -1;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2;
        if (d <= 1) {
          const q = o + (y * size + x) * 3;
          const light = 40 * (1 - d);
          images[q] = clamp255(235 + light * 0.3);
          images[q + 1] = clamp255(150 + light);
          images[q + 2] = clamp255(130 + light);
          masks[i * size * size + y * size + x] = 255;
          x0 = Math.min(x0, x);
          y0 = Math.min(y0, y);
          x1 = Math.max(x1, x);
          y1 = Math.max(y1, y);
        }
      }
    }
    boxes[i * 4] = (x0 + x1 + 1) / 2 / size;
    boxes[i * 4 + 1] = (y0 + y1 + 1) / 2 / size;
    boxes[i * 4 + 2] = (x1 + 1 - x0) / size;
    boxes[i * 4 + 3] = (y1 + 1 - y0) / size;
  }
  return { images, masks, boxes, count, size, ids: Array.from({ length: count }, (_, i) => `synthetic/images/${i}.png`) };
}

/** Split generated samples into train and test parts (first `trainCount` to train). */
export function splitSamples<T extends Samples>(s: T, trainCount: number): { train: Samples; test: Samples } {
  const part = (from: number, to: number): Samples => {
    const px = s.size * s.size * 3;
    return {
      images: s.images.slice(from * px, to * px),
      count: to - from,
      size: s.size,
      labels: s.labels ? s.labels.slice(from, to) : undefined,
      boxes: s.boxes ? s.boxes.slice(from * 4, to * 4) : undefined,
      ids: s.ids?.slice(from, to),
    };
  };
  return { train: part(0, trainCount), test: part(trainCount, s.count) };
}
