/**
 * The batcher: from in-memory `Samples` (../core/samples.ts, index views included) to one batch, with seeded order,
 * seeded per-sample augmentation (flips, small-angle rotations, and as options 90-degree rotations
 * and brightness/contrast jitter) with boxes transformed consistently, and normalisation, all done
 * while copying 8-bit pixels into the batch's float buffer, so preprocessing costs no GPU dispatch.
 * Images are square, 8-bit RGB, NHWC, at the network's input size.
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
  /** Small-angle rotation in degrees, applied after the flips and quarter turns (clockwise on screen for > 0). */
  angle?: number;
}

export const NO_AUGMENT: SampleAugment = { rot: 0, hflip: false, vflip: false, brightness: 0, contrast: 1, angle: 0 };

export function drawAugment(rng: Rng, a: AugmentConfig): SampleAugment {
  // Always draw the same number of values so the stream does not depend on which options are on.
  const rot = rng.int(4);
  const h = rng.next() < 0.5;
  const v = rng.next() < 0.5;
  const b = rng.uniform(-1, 1);
  const c = rng.uniform(-1, 1);
  const r = rng.uniform(-1, 1);
  return {
    rot: a.rot90 ? rot : 0,
    hflip: a.hflip && h,
    vflip: a.vflip && v,
    brightness: b * a.brightness,
    contrast: 1 + c * a.contrast,
    angle: r * (a.rotate ?? 0),
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

/**
 * The box (cx, cy, w, h) after the same transform as the pixels. A small-angle rotation turns the
 * box's four corners about the image centre; the result is their axis-aligned box, clipped to the
 * image.
 */
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
  if (aug.angle) {
    const t = (aug.angle * Math.PI) / 180;
    const cos = Math.cos(t);
    const sin = Math.sin(t);
    let x1 = Infinity,
      y1 = Infinity,
      x2 = -Infinity,
      y2 = -Infinity;
    for (const [dx, dy] of [
      [-w / 2, -h / 2],
      [w / 2, -h / 2],
      [-w / 2, h / 2],
      [w / 2, h / 2],
    ]) {
      // The same rotation as the pixels: a point p of the source lands at R(t) (p - c) + c.
      const px = cx - 0.5 + dx;
      const py = cy - 0.5 + dy;
      const x = 0.5 + cos * px - sin * py;
      const y = 0.5 + sin * px + cos * py;
      x1 = Math.min(x1, x);
      x2 = Math.max(x2, x);
      y1 = Math.min(y1, y);
      y2 = Math.max(y2, y);
    }
    x1 = Math.max(0, x1);
    y1 = Math.max(0, y1);
    x2 = Math.min(1, x2);
    y2 = Math.min(1, y2);
    cx = (x1 + x2) / 2;
    cy = (y1 + y2) / 2;
    w = Math.max(0, x2 - x1);
    h = Math.max(0, y2 - y1);
  }
  out[o] = cx;
  out[o + 1] = cy;
  out[o + 2] = w;
  out[o + 3] = h;
  return out;
}

/**
 * One image's pixels after the flips and quarter turns (`map`) and a small rotation by `angle`
 * degrees about the centre: each output pixel samples the turned image bilinearly at
 * R(-angle) (p - c) + c; outside the image is black (torchvision's RandomRotation fill 0).
 */
function rotatedInto(images: Uint8Array, src: number, size: number, map: Int32Array, angle: number, out: Float32Array): void {
  const t = (angle * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      const sx = cos * dx + sin * dy + c;
      const sy = -sin * dx + cos * dy + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * size + x) * 3;
      out[o] = out[o + 1] = out[o + 2] = 0;
      for (let k = 0; k < 4; k++) {
        const xx = x0 + (k & 1);
        const yy = y0 + (k >> 1);
        if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
        const wgt = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy);
        if (wgt === 0) continue;
        const si = src + map[yy * size + xx] * 3;
        out[o] += wgt * images[si];
        out[o + 1] += wgt * images[si + 1];
        out[o + 2] += wgt * images[si + 2];
      }
    }
  }
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
  let rotated: Float32Array | null = null;
  for (let b = 0; b < n; b++) {
    const aug = augments ? augments[b] : NO_AUGMENT;
    const map = indexMap(size, aug.rot, aug.hflip, aug.vflip);
    const src = pixelOffset(s, indices[b]);
    const dst = b * px * 3;
    const identityColour = aug.brightness === 0 && aug.contrast === 1;
    if (aug.angle) rotatedInto(s.images, src, size, map, aug.angle, (rotated ??= new Float32Array(px * 3)));
    for (let p = 0; p < px; p++) {
      const si = src + map[p] * 3;
      const di = dst + p * 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = aug.angle ? rotated![p * 3 + ch] : s.images[si + ch];
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
