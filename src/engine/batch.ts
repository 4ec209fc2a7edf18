/**
 * The batcher: from in-memory `Samples` (../core/samples.ts, index views included) to one batch, with seeded order, seeded per-sample augmentation (flips, 90-degree
 * rotations, brightness/contrast jitter) with boxes transformed consistently, and normalisation,
 * all done while copying 8-bit pixels into the batch's float buffer, so preprocessing costs no GPU
 * dispatch. Images are square, 8-bit RGB, NHWC, at the network's input size.
 */
import type { AugmentConfig, Normalization } from '../core/config';
import type { Rng } from '../core/rng';
import { pixelOffset, type Samples } from '../core/samples';

export interface SampleAugment {
  rot: number; // 0..3 quarter turns counter-clockwise
  hflip: boolean;
  vflip: boolean;
  brightness: number;
  contrast: number;
}

export const NO_AUGMENT: SampleAugment = { rot: 0, hflip: false, vflip: false, brightness: 0, contrast: 1 };

export function drawAugment(rng: Rng, a: AugmentConfig): SampleAugment {
  // Always draw the same number of values so the stream does not depend on which options are on.
  const rot = rng.int(4);
  const h = rng.next() < 0.5;
  const v = rng.next() < 0.5;
  const b = rng.uniform(-1, 1);
  const c = rng.uniform(-1, 1);
  return {
    rot: a.rot90 ? rot : 0,
    hflip: a.hflip && h,
    vflip: a.vflip && v,
    brightness: b * a.brightness,
    contrast: 1 + c * a.contrast,
  };
}

const indexMaps = new Map<string, Int32Array>();

/** For each output pixel, the source pixel index under rotation `rot` then the flips. */
function indexMap(size: number, rot: number, hflip: boolean, vflip: boolean): Int32Array {
  const key = `${size}:${rot}:${hflip ? 1 : 0}:${vflip ? 1 : 0}`;
  let map = indexMaps.get(key);
  if (map) return map;
  map = new Int32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let rr = vflip ? size - 1 - r : r;
      let cc = hflip ? size - 1 - c : c;
      // One quarter turn counter-clockwise: out[r][c] = src[c][size-1-r].
      for (let k = 0; k < rot; k++) {
        const t = rr;
        rr = cc;
        cc = size - 1 - t;
      }
      map[r * size + c] = rr * size + cc;
    }
  }
  indexMaps.set(key, map);
  return map;
}

/** The box (cx, cy, w, h) after the same transform as the pixels. */
export function transformBox(box: ArrayLike<number>, aug: SampleAugment, out: Float32Array = new Float32Array(4), o = 0): Float32Array {
  let cx = box[0],
    cy = box[1],
    w = box[2],
    h = box[3];
  for (let k = 0; k < aug.rot; k++) {
    const ncx = cy;
    const ncy = 1 - cx;
    cx = ncx;
    cy = ncy;
    const t = w;
    w = h;
    h = t;
  }
  if (aug.hflip) cx = 1 - cx;
  if (aug.vflip) cy = 1 - cy;
  out[o] = cx;
  out[o + 1] = cy;
  out[o + 2] = w;
  out[o + 3] = h;
  return out;
}

export interface Batch {
  /** n * size * size * 3 normalised floats. */
  x: Float32Array;
  n: number;
  /** One-hot [n, classes] (classification). */
  y?: Float32Array;
  /** Boxes [n, 4] (detection). */
  boxes?: Float32Array;
  indices: number[];
}

/** Assemble one batch from `indices` of `s`, with per-sample augmentations (or none). */
export function assembleBatch(s: Samples, indices: number[], norm: Normalization, classes: number, augments?: SampleAugment[]): Batch {
  const size = s.size;
  const px = size * size;
  const n = indices.length;
  const x = new Float32Array(n * px * 3);
  const scale = norm.std.map((sd) => 1 / (255 * sd));
  for (let b = 0; b < n; b++) {
    const aug = augments ? augments[b] : NO_AUGMENT;
    const map = indexMap(size, aug.rot, aug.hflip, aug.vflip);
    const src = pixelOffset(s, indices[b]);
    const dst = b * px * 3;
    const identityColour = aug.brightness === 0 && aug.contrast === 1;
    for (let p = 0; p < px; p++) {
      const si = src + map[p] * 3;
      const di = dst + p * 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = s.images[si + ch];
        if (!identityColour) {
          let f = (v / 255 - 0.5) * aug.contrast + 0.5 + aug.brightness;
          f = f < 0 ? 0 : f > 1 ? 1 : f;
          v = f * 255;
        }
        x[di + ch] = v * scale[ch] - norm.mean[ch] / norm.std[ch];
      }
    }
  }
  const batch: Batch = { x, n, indices };
  if (s.labels) {
    const y = new Float32Array(n * classes);
    for (let b = 0; b < n; b++) y[b * classes + s.labels[indices[b]]] = 1;
    batch.y = y;
  }
  if (s.boxes) {
    const boxes = new Float32Array(n * 4);
    for (let b = 0; b < n; b++) {
      const i = indices[b];
      transformBox(s.boxes.subarray(i * 4, i * 4 + 4), augments ? augments[b] : NO_AUGMENT, boxes, b * 4);
    }
    batch.boxes = boxes;
  }
  return batch;
}
