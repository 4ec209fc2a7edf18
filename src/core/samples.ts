/**
 * Images and their labels in memory, as the import produces them and the trainer reads them:
 * square 8-bit RGB at the networks' input size, channels last; and index views of them, so each
 * seed's train and test sets share the one imported dataset's pixels instead of copying them.
 *
 * Owns: the `Samples` and `TrainData` shapes, index views (`viewOf`) and where a sample's pixels
 * are (`pixelOffset`). Imports nothing.
 */

export interface Samples {
  /** RGB bytes, row-major, `size * size * 3` per image: `count` images, or those `rows` points at. */
  images: Uint8Array;
  count: number;
  size: number;
  /**
   * An index view: sample i's pixels are image `rows[i]` of `images` (absent: image i). Labels,
   * boxes and ids are always the view's own, one per sample, so only the pixels are shared.
   */
  rows?: Int32Array;
  /** Class index per sample (classification). */
  labels?: Int32Array;
  /** (cx, cy, w, h) in [0, 1] per sample (detection). */
  boxes?: Float32Array;
  /** Identifiers (file paths) for reports and inspection. */
  ids?: string[];
  /**
   * The group of each sample (patient, slide, video sequence, source tile); '' where a sample has
   * none. Splits keep a group on one side.
   */
  groups?: string[];
}

export interface TrainData {
  train: Samples;
  test: Samples;
  /** Held out from training: evaluated after every epoch, never in a training batch. */
  val?: Samples;
}

/** Bytes of one image of `s`. */
export function imageBytes(s: Pick<Samples, 'size'>): number {
  return s.size * s.size * 3;
}

/** Where sample `i`'s pixels start in `s.images`. */
export function pixelOffset(s: Samples, i: number): number {
  return (s.rows ? s.rows[i] : i) * s.size * s.size * 3;
}

/** Sample `i`'s pixels (a view into `s.images`, not a copy). */
export function pixelsOf(s: Samples, i: number): Uint8Array {
  const o = pixelOffset(s, i);
  return s.images.subarray(o, o + imageBytes(s));
}

/**
 * The samples at `indices` of `s` as an index view: the pixels stay where they are (a view of a
 * view points at the same pixels); labels, boxes and ids are copied (a few bytes per sample).
 */
export function viewOf(s: Samples, indices: ArrayLike<number>): Samples {
  const n = indices.length;
  const rows = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= s.count) throw new RangeError(`Sample ${i} is outside the ${s.count} samples`);
    rows[k] = s.rows ? s.rows[i] : i;
  }
  let boxes: Float32Array | undefined;
  if (s.boxes) {
    boxes = new Float32Array(n * 4);
    for (let k = 0; k < n; k++) boxes.set(s.boxes.subarray(indices[k] * 4, indices[k] * 4 + 4), k * 4);
  }
  return {
    images: s.images,
    count: n,
    size: s.size,
    rows,
    labels: s.labels ? Int32Array.from({ length: n }, (_, k) => s.labels![indices[k]]) : undefined,
    boxes,
    ids: s.ids ? Array.from({ length: n }, (_, k) => s.ids![indices[k]]) : undefined,
    ...(s.groups ? { groups: Array.from({ length: n }, (_, k) => s.groups![indices[k]]) } : {}),
  };
}

/** What is wrong with the pixels of `s` for its count and size (null: nothing). */
export function pixelProblem(s: Samples): string | null {
  const px = imageBytes(s);
  if (!s.rows) return s.images.length === s.count * px ? null : `holds ${s.images.length} bytes, expected ${s.count} x ${s.size} x ${s.size} x 3`;
  if (s.rows.length !== s.count) return `has ${s.rows.length} rows for ${s.count} samples`;
  if (s.images.length % px !== 0) return `holds ${s.images.length} bytes, not a whole number of ${s.size} x ${s.size} x 3 images`;
  const stored = s.images.length / px;
  for (let i = 0; i < s.rows.length; i++) {
    if (s.rows[i] < 0 || s.rows[i] >= stored) return `points sample ${i} at image ${s.rows[i]} of ${stored}`;
  }
  return null;
}
