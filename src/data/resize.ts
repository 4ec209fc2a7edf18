/**
 * From a decoded image to the network's square input: 'stretch' (each axis to the input size) or
 * 'pad' (longer side to the input size, centred on a fixed fill). Shrinking averages over each
 * output pixel's area (no aliasing on 1348-px colonoscopy frames going to 224); enlarging is
 * bilinear with pixel centres aligned. Output is 8-bit RGB written straight into the caller's
 * buffer; alpha is dropped as stored (like PIL's convert('RGB')). Boxes move with the pixels.
 *
 * Pure arithmetic: no DOM, no Node.
 */
import type { Box, RawImage, ResizeMode } from './types';

/** Where the image lands in the square output, in output pixels. */
export interface Placement {
  size: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Pad colour: black, as the dark surround of endoscopy frames. */
export const PAD_FILL: readonly [number, number, number] = [0, 0, 0];

export function placement(srcWidth: number, srcHeight: number, size: number, mode: ResizeMode): Placement {
  if (mode === 'stretch') return { size, x: 0, y: 0, width: size, height: size };
  const scale = size / Math.max(srcWidth, srcHeight);
  const width = Math.max(1, Math.min(size, Math.round(srcWidth * scale)));
  const height = Math.max(1, Math.min(size, Math.round(srcHeight * scale)));
  return { size, x: Math.floor((size - width) / 2), y: Math.floor((size - height) / 2), width, height };
}

/** A normalised box on the source image, normalised on the square output. */
export function placeBox(box: Box, p: Placement): Box {
  const [cx, cy, w, h] = box;
  return [(p.x + cx * p.width) / p.size, (p.y + cy * p.height) / p.size, (w * p.width) / p.size, (h * p.height) / p.size];
}

interface AxisWeights {
  /** First source index per output index. */
  first: Int32Array;
  /** Weights per output index, `taps` each (zero-padded). */
  weights: Float32Array;
  taps: number;
}

function axisWeights(src: number, dst: number): AxisWeights {
  if (src > dst) {
    // Area average: output j covers source [j*s, (j+1)*s).
    const s = src / dst;
    const taps = Math.ceil(s) + 1;
    const first = new Int32Array(dst);
    const weights = new Float32Array(dst * taps);
    for (let j = 0; j < dst; j++) {
      const a = j * s;
      const b = Math.min(src, (j + 1) * s);
      const i0 = Math.floor(a);
      first[j] = i0;
      for (let i = i0, k = 0; i < b && k < taps; i++, k++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        weights[j * taps + k] = overlap / s;
      }
    }
    return { first, weights, taps };
  }
  const first = new Int32Array(dst);
  const weights = new Float32Array(dst * 2);
  if (src === dst) {
    for (let j = 0; j < dst; j++) {
      first[j] = j;
      weights[j * 2] = 1;
    }
    return { first, weights, taps: 2 };
  }
  // Bilinear: output pixel centre mapped into the source, clamped at the edges.
  for (let j = 0; j < dst; j++) {
    const x = Math.min(src - 1, Math.max(0, ((j + 0.5) * src) / dst - 0.5));
    const i0 = Math.min(src - 1, Math.floor(x));
    const f = x - i0;
    first[j] = i0;
    weights[j * 2] = 1 - f;
    weights[j * 2 + 1] = i0 + 1 < src ? f : 0;
  }
  return { first, weights, taps: 2 };
}

/**
 * Resize `raw` (RGBA) into `out` at `offset` as size x size RGB; returns where the image landed
 * (for moving boxes). `out` defaults to a new buffer of size*size*3 bytes.
 */
export function resizeInto(
  raw: RawImage,
  size: number,
  mode: ResizeMode,
  out: Uint8Array = new Uint8Array(size * size * 3),
  offset = 0,
  fill: readonly [number, number, number] = PAD_FILL,
): Placement {
  const p = placement(raw.width, raw.height, size, mode);
  const { width: W, height: H, data } = raw;
  if (p.width !== size || p.height !== size) {
    for (let q = 0; q < size * size; q++) {
      out[offset + q * 3] = fill[0];
      out[offset + q * 3 + 1] = fill[1];
      out[offset + q * 3 + 2] = fill[2];
    }
  }
  if (W === p.width && H === p.height) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const s = (y * W + x) * 4;
        const d = offset + ((p.y + y) * size + p.x + x) * 3;
        out[d] = data[s];
        out[d + 1] = data[s + 1];
        out[d + 2] = data[s + 2];
      }
    }
    return p;
  }
  const hx = axisWeights(W, p.width);
  const vy = axisWeights(H, p.height);
  const cw = p.width;
  // Horizontal pass into floats (source rows x output columns), then the vertical pass.
  const tmp = new Float32Array(H * cw * 3);
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let j = 0; j < cw; j++) {
      let r = 0,
        g = 0,
        b = 0;
      const i0 = hx.first[j];
      for (let k = 0; k < hx.taps; k++) {
        const w = hx.weights[j * hx.taps + k];
        if (w === 0) continue;
        const s = (row + i0 + k) * 4;
        r += w * data[s];
        g += w * data[s + 1];
        b += w * data[s + 2];
      }
      const t = (y * cw + j) * 3;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  const acc = new Float32Array(cw * 3);
  for (let i = 0; i < p.height; i++) {
    acc.fill(0);
    const r0 = vy.first[i];
    for (let k = 0; k < vy.taps; k++) {
      const w = vy.weights[i * vy.taps + k];
      if (w === 0) continue;
      const t0 = (r0 + k) * cw * 3;
      for (let q = 0; q < cw * 3; q++) acc[q] += w * tmp[t0 + q];
    }
    const d0 = offset + ((p.y + i) * size + p.x) * 3;
    for (let q = 0; q < cw * 3; q++) {
      const v = Math.round(acc[q]);
      out[d0 + q] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return p;
}
