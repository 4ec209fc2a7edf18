/**
 * Images and their labels in memory, as the import produces them and the trainer reads them:
 * square 8-bit RGB at the networks' input size, channels last.
 *
 * Owns: the `Samples` and `TrainData` shapes. Imports nothing.
 */

export interface Samples {
  /** count * size * size * 3 bytes, RGB, row-major. */
  images: Uint8Array;
  count: number;
  size: number;
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
