/**
 * What the page is shown of a dataset held in the worker: counts per class, thumbnails (with
 * boxes), the layout and the import report, never the images themselves.
 *
 * Owns: `DatasetSummary`, `Thumbnail` and the functions that make them from `Samples`. Plain
 * arithmetic on pixel buffers: no DOM, no tfjs.
 */
import type { ErrorInfo } from '../core/errors';
import { pixelOffset, type Samples } from '../core/samples';
import { resizeInto } from './resize';
import type { ImportReport, Layout, Task } from './types';

export interface Thumbnail {
  /** RGBA, size x size. */
  rgba: Uint8ClampedArray;
  size: number;
  id: string;
  label?: string;
  box?: [number, number, number, number];
}

export interface DatasetSummary {
  id: string;
  name: string;
  synthetic: boolean;
  task: Task;
  classNames?: string[];
  /** Usable images per class (classification) or in all (detection). */
  counts: Record<string, number>;
  total: number;
  train: number;
  test: number;
  /** Size the images are stored at. */
  size: number;
  layoutDescription: string;
  givenSplit: boolean;
  report: ImportReport | null;
  /** The layouts that fit the folder, the one used first; another can be chosen (re-import). */
  layouts: { description: string; layout: Layout }[];
  blocking: ErrorInfo[];
  previews: Thumbnail[];
}

const THUMB = 64;

/** Image `i` of `s` as a `size` px RGBA thumbnail, with its box if it has one. */
export function thumbnail(s: Samples, i: number, size = THUMB, label?: string): Thumbnail {
  const px = s.size * s.size;
  const at = pixelOffset(s, i);
  const rgba = new Uint8Array(px * 4);
  for (let p = 0; p < px; p++) {
    rgba[p * 4] = s.images[at + p * 3];
    rgba[p * 4 + 1] = s.images[at + p * 3 + 1];
    rgba[p * 4 + 2] = s.images[at + p * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  const out = new Uint8Array(size * size * 3);
  resizeInto({ width: s.size, height: s.size, data: rgba, sourceBitDepth: 8 }, size, 'stretch', out);
  const o = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    o[p * 4] = out[p * 3];
    o[p * 4 + 1] = out[p * 3 + 1];
    o[p * 4 + 2] = out[p * 3 + 2];
    o[p * 4 + 3] = 255;
  }
  const box = s.boxes ? (Array.from(s.boxes.subarray(i * 4, i * 4 + 4)) as [number, number, number, number]) : undefined;
  return { rgba: o, size, id: s.ids?.[i] ?? `#${i}`, label, box };
}

/** A few thumbnails per class (classification) or the first images (detection). */
export function previews(s: Samples, classNames?: string[], perClass = 8): Thumbnail[] {
  const out: Thumbnail[] = [];
  if (s.labels && classNames) {
    classNames.forEach((name, c) => {
      let n = 0;
      for (let i = 0; i < s.count && n < perClass; i++) {
        if (s.labels![i] === c) {
          out.push(thumbnail(s, i, THUMB, name));
          n++;
        }
      }
    });
  } else {
    for (let i = 0; i < Math.min(s.count, 16); i++) out.push(thumbnail(s, i));
  }
  return out;
}

/** Images per class (classification) or in all. */
export function countsOf(s: Samples, classNames?: string[]): Record<string, number> {
  if (!s.labels || !classNames) return { images: s.count };
  const c: Record<string, number> = {};
  classNames.forEach((n) => (c[n] = 0));
  for (let i = 0; i < s.count; i++) c[classNames[s.labels[i]]]++;
  return c;
}
