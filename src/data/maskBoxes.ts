/**
 * From a segmentation mask to the one box per image that docs/METHOD.md's detection task trains on:
 * threshold at half intensity (of the brightest channel, so grey, RGB and palette masks read the
 * same), 8-connected components, components under 50 pixels dropped as JPEG specks, and the union
 * of the boxes of the rest. How many components were merged is returned so the import report can
 * say how many images it affected.
 *
 * Pure arithmetic on RawImage: no DOM, no Node.
 */
import type { Box, RawImage } from './types';

/** Pixel rectangle; x1 and y1 are exclusive. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface MaskBoxes {
  /** The union box, normalised to the mask's size; null when no component is large enough. */
  box: Box | null;
  /** Components of at least `minPixels` pixels: more than one means they were merged. */
  components: PixelBox[];
  /** Components dropped for being smaller than `minPixels`. */
  specks: number;
}

export const MIN_COMPONENT_PIXELS = 50;

export function unionBoxes(boxes: readonly PixelBox[]): PixelBox | null {
  if (boxes.length === 0) return null;
  const u = { ...boxes[0] };
  for (const b of boxes) {
    u.x0 = Math.min(u.x0, b.x0);
    u.y0 = Math.min(u.y0, b.y0);
    u.x1 = Math.max(u.x1, b.x1);
    u.y1 = Math.max(u.y1, b.y1);
  }
  return u;
}

/** (cx, cy, w, h) normalised to a width x height image, clipped to it. */
export function pixelBoxToBox(p: PixelBox, width: number, height: number): Box {
  const x0 = Math.max(0, Math.min(width, p.x0));
  const x1 = Math.max(0, Math.min(width, p.x1));
  const y0 = Math.max(0, Math.min(height, p.y0));
  const y1 = Math.max(0, Math.min(height, p.y1));
  return [(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height];
}

/** Foreground per pixel: brightest channel at half intensity or above. */
export function binarize(mask: RawImage): Uint8Array {
  const n = mask.width * mask.height;
  const fg = new Uint8Array(n);
  const d = mask.data;
  let peak = 0;
  for (let p = 0; p < n; p++) {
    const v = Math.max(d[p * 4], d[p * 4 + 1], d[p * 4 + 2]);
    if (v > peak) peak = v;
    fg[p] = v >= 128 ? 1 : 0;
  }
  // Label maps stored as 0/1 (common for PNG masks) would read as empty at half of 255.
  if (peak === 1) for (let p = 0; p < n; p++) fg[p] = Math.max(d[p * 4], d[p * 4 + 1], d[p * 4 + 2]);
  return fg;
}

export function maskToBox(mask: RawImage, minPixels = MIN_COMPONENT_PIXELS): MaskBoxes {
  const { width: W, height: H } = mask;
  const fg = binarize(mask);
  const components: PixelBox[] = [];
  let specks = 0;
  let stack: Int32Array | null = null;
  for (let start = 0; start < W * H; start++) {
    if (fg[start] !== 1) continue;
    stack ??= new Int32Array(W * H);
    // Flood fill; visited pixels are marked 2 as they are pushed, so the stack never exceeds W*H.
    let top = 0;
    stack[top++] = start;
    fg[start] = 2;
    let count = 0;
    let x0 = W,
      y0 = H,
      x1 = -1,
      y1 = -1;
    while (top > 0) {
      const p = stack[--top];
      const x = p % W;
      const y = (p - x) / W;
      count++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= H) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= W) continue;
          const q = yy * W + xx;
          if (fg[q] === 1) {
            fg[q] = 2;
            stack[top++] = q;
          }
        }
      }
    }
    if (count >= minPixels) components.push({ x0, y0, x1: x1 + 1, y1: y1 + 1 });
    else specks++;
  }
  const u = unionBoxes(components);
  return { box: u ? pixelBoxToBox(u, W, H) : null, components, specks };
}
