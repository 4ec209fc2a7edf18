/**
 * The contracts of dataset import: the files it reads (listed cheaply, read lazily), the decoder it
 * is given (a browser one in the worker, a pure-JS one in Node), the layouts it understands, and
 * the result and report it returns.
 *
 * Types only: no DOM, no Node, no tfjs. The error codes and `DataError` live in `core/errors`.
 * Everything in `src/data/` builds on this file; nothing here depends on the rest of `src/data/`.
 */
import type { Samples } from '../core/samples';
import type { BlockingCode, DataError, SkipCode, WarningCode } from '../core/errors';

/** One file of the dropped folder. Listing is cheap; `read` is called only for files that are used. */
export interface InputFile {
  /** Relative, '/'-separated, as `webkitRelativePath` gives it: 'Kvasir-SEG/images/cju0qkwl35piu0993l0dewei2.jpg'. */
  path: string;
  size: number;
  read(): Promise<Uint8Array>;
}

export type ImageFormat = 'jpeg' | 'png' | 'bmp' | 'webp' | 'gif' | 'tiff';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'bmp', 'webp', 'gif', 'tiff'];

/** Decoded pixels as stored in the file: EXIF orientation NOT applied. */
export interface RawImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA 8-bit, unpremultiplied, exact stored values (no colour management). */
  data: Uint8Array;
  /** Bits per channel in the file (16 for a 16-bit PNG or TIFF, reduced here to 8). */
  sourceBitDepth: number;
}

/**
 * Decodes one image. It must not apply EXIF orientation (the import applies it once, identically
 * to an image and its mask; it also hands the decoder bytes whose orientation tag is reset to 1).
 * Failures are thrown; a `DataError` with code UNSUPPORTED_FORMAT keeps its code, anything else is
 * reported as DECODE_FAILED.
 */
export interface ImageDecoder {
  decode(bytes: Uint8Array, format: ImageFormat): Promise<RawImage>;
}

export type { Task } from '../core/archs';
import type { Task } from '../core/archs';

export type SplitName = 'train' | 'test' | 'val';

/**
 * How a folder is read. Folder paths are relative to the listing, '/'-separated, without a trailing
 * slash; '' is the top of the listing.
 */
export type Layout =
  /**
   * `root/<class>/**`, or `root/<split>/<class>/**` when `givenSplit` (split folders: train, test,
   * val...). `exclude`: top folders left out, copies of the folders beside them (`chest_xray/chest_xray`).
   */
  | { kind: 'class-folders'; root: string; givenSplit: boolean; exclude?: string[] }
  /**
   * `root/<set>/<class>/**`: top folders that each hold class folders of their own (`dataset/` and
   * `forTEST/`, `CRC_DX_TRAIN/` and `CRC_DX_TEST/`). `folder` is where a set's class folders sit,
   * relative to `root` ('forTEST', or 'train/train' through a wrapper folder); `split` is the split
   * it gives, or null for all (every set pooled, a seeded split). Class folders are matched across
   * sets without a set suffix (`colon_aca_test` is `colon_aca`). Files in no listed set are left out.
   */
  | { kind: 'class-sets'; root: string; sets: ClassSet[] }
  /** `root/**` files named `<CLASS>-<id>.<ext>` (NCT-CRC-HE: `TUM-AACHEHDV.tif`). */
  | { kind: 'class-prefix'; root: string }
  /**
   * Detection from masks: `images/<stem><imageSuffix>.*` paired with `masks/<stem><maskSuffix>.*` by stem.
   * `boxesFile` (Kvasir's `kavsir_bboxes.json`) gives boxes where it has them; masks give the rest.
   */
  | {
      kind: 'mask-pairs';
      variant: 'kvasir-seg' | 'cvc-clinicdb' | 'image-mask-folders';
      images: string;
      masks: string;
      imageSuffix: string;
      maskSuffix: string;
      boxesFile?: string;
    }
  /** Detection from a CSV or JSON list of `filename, xmin, ymin, xmax, ymax` (pixels); images anywhere under `root`. */
  | { kind: 'box-list'; list: string; root: string };

export interface ClassSet {
  folder: string;
  split: SplitName | null;
}

export type LayoutKind = Layout['kind'];

export interface LayoutDetection {
  /** The layout the import will use unless the user picks another; null when none fits. */
  layout: Layout | null;
  /** What was seen in the paths, in sentences a person can check. */
  evidence: string[];
  /** Other layouts that also fit the paths, best first. */
  alternatives: Layout[];
}

export type ResizeMode = 'stretch' | 'pad';

export interface ImportProgress {
  phase: 'listing' | 'decoding';
  done: number;
  /** In the decoding phase the total grows by one for each skipped file replaced from its class's pool. */
  total: number;
}

/** Where groups come from, as the import is told (see groups.ts). */
export type GroupSource = { kind: 'none' } | { kind: 'auto' } | { kind: 'csv'; name: string; text: string };

export interface ImportOptions {
  /** The networks' input size: every image is stored as inputSize x inputSize 8-bit RGB. */
  inputSize: number;
  /** 'stretch' (default) or 'pad' (to a square, centred, black fill). */
  resize?: ResizeMode;
  /** Use a seeded, class-stratified random subset of this many images. */
  subset?: number;
  /** Seeds the subset and the split (default 0). */
  seed?: number;
  /** Share of each class held out for test when the folders give no split (default 0.2). */
  testShare?: number;
  /** Share of the training part held out for validation (default 0: none). */
  valShare?: number;
  /** Images whose header claims more pixels than this are refused before decoding (default 40 megapixels). */
  maxPixels?: number;
  /**
   * Memory for the decoded set (count * inputSize^2 * 3 bytes), checked before anything is read
   * (default 2 GiB, about 14,000 images at 224 px): over it, the import blocks with TOO_MANY_IMAGES.
   */
  maxBytes?: number;
  /** Use this layout instead of the detected one. */
  layout?: Layout;
  /** Where each image's group comes from (default "auto": a TCGA barcode, or a groups CSV in the folder). */
  groups?: GroupSource;
  /** With groups: split by whole groups (default) or, by explicit choice, image by image (it leaks). */
  splitBy?: 'group' | 'image';
  /** Files read and decoded at once (default 4; the browser decoder decodes off the main thread). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

/** (cx, cy, w, h) normalised to the (oriented) image, in [0, 1]. */
export type Box = [number, number, number, number];

export interface FileWarning {
  code: WarningCode;
  message: string;
}

export type ReportFile =
  | {
      path: string;
      status: 'ok';
      role: 'image';
      class?: string;
      box?: Box;
      split: SplitName;
      /** The image's group (patient, slide, sequence, source tile), when it has one. */
      group?: string;
      /** Number of boxes or mask components merged into `box` (only when more than one). */
      merged?: number;
      warnings?: FileWarning[];
    }
  | { path: string; status: 'ok'; role: 'mask'; image: string; warnings?: FileWarning[] }
  | { path: string; status: 'ok'; role: 'annotation'; warnings?: FileWarning[] }
  /** Not drawn into the subset (or its image was not). */
  | { path: string; status: 'unused'; message: string; warnings?: FileWarning[] }
  | { path: string; status: SkipCode; message: string; warnings?: FileWarning[] };

export interface ClassSummary {
  name: string;
  /** Usable images. */
  count: number;
  train: number;
  test: number;
  val: number;
  /** Image files the layout gave this class before any was read. */
  listed: number;
}

/** How the import grouped the images and how the split treated the groups. */
export interface GroupReport {
  source: 'none' | 'tcga' | 'csv';
  /** The groups CSV used. */
  csv?: string;
  /** What was seen, in sentences a person can check. */
  evidence: string[];
  /** Distinct groups among the usable images. */
  groups: number;
  /** Usable images with a group, and without one (each of those is split on its own). */
  grouped: number;
  ungrouped: number;
  /** CSV rows naming no image of the folder; up to 10 of them. */
  unmatchedRows: number;
  unmatchedExamples: string[];
  /** The largest group and its images. */
  largest?: { name: string; images: number };
  /** How the split was made: 'group' (whole groups per set), 'image', or 'folders' (as given). */
  splitBy: 'group' | 'image' | 'folders';
  /** Distinct groups per set. */
  perSet: { train: number; val: number; test: number };
  /** Groups with images in more than one set. */
  groupsInBoth: number;
  /** Share of test images whose group also has images in training. */
  leakage: number;
  /** What the split did, in words. */
  notes: string[];
}

/** What the "Download import report" button saves. Plain JSON. */
export interface ImportReport {
  version: 1;
  layout: Layout | null;
  layoutDescription: string;
  layoutSource: 'detected' | 'chosen';
  evidence: string[];
  task: Task | null;
  classes?: ClassSummary[];
  counts: {
    listed: number;
    /** Usable images (all of them in `samples`). */
    images: number;
    boxes: number;
    /** Images whose box is the union of several boxes or mask components. */
    mergedBoxImages: number;
    train: number;
    test: number;
    val: number;
    skipped: number;
    warnings: number;
    unused: number;
  };
  settings: {
    inputSize: number;
    resize: ResizeMode;
    subset: number | null;
    seed: number;
    testShare: number;
    valShare: number;
    maxPixels: number;
    maxBytes: number;
    split: 'folders' | 'seeded';
    /** The groups asked for: "none", "auto" or the CSV's name. */
    groups?: string;
    splitBy?: 'group' | 'image';
  };
  groups?: GroupReport;
  /** Skips and warnings by code. */
  byCode: Record<string, number>;
  blocking: { code: BlockingCode; subject?: string; message: string }[];
  /** Problems in annotation files that are not about one listed file (a CSV row naming no file...). */
  notes: string[];
  /** Every listed file, sorted by path. */
  files: ReportFile[];
}

export interface ImportResult {
  layout: Layout | null;
  task: Task | null;
  classNames?: string[];
  /**
   * Every usable image, ordered train, then val, then test (each sorted by path); the split's parts
   * are views into this one buffer, not copies.
   */
  samples: Samples;
  split: { train: Samples; test: Samples; val?: Samples };
  report: ImportReport;
  /** Empty when the set can be trained on. */
  blocking: DataError[];
}
