/**
 * Every typed error of the studio: one union of stable codes (`ErrorCode`) that tests and the UI
 * branch on, the error classes the engine, the import and the spec parser throw, and `ErrorInfo`,
 * their structured-clone-safe form, which keeps its code typed across the worker boundary
 * (comlink keeps only the message and name of an Error).
 *
 * Owns: codes, classes, conversion to and from plain objects. Imports nothing.
 */

/** Codes of the engine: configuration, data handed to the trainer, training, the GPU, storage. */
export type EngineErrorCode =
  | 'UNKNOWN_ARCH'
  | 'INVALID_CONFIG'
  | 'TOO_FEW_STUDENTS'
  | 'LABEL_MISMATCH'
  | 'SHAPE_MISMATCH'
  | 'EMPTY_DATASET'
  | 'NAN_LOSS'
  | 'CANCELLED'
  | 'BACKEND_UNAVAILABLE'
  | 'DEVICE_LOST'
  | 'GPU_OUT_OF_MEMORY'
  | 'STORAGE_FULL'
  /** Another tab of this browser trains: this one may not start, resume, discard or delete meanwhile. */
  | 'TRAINING_ELSEWHERE'
  /** A bundle (or one of its entries) larger than the studio opens; the bundle is not read. */
  | 'BUNDLE_TOO_LARGE'
  | WeightsErrorCode;

/**
 * Codes of a weights file (a torchvision state dict as `.safetensors` or `.pth`, a TensorFlow.js
 * model): `subject` is the file, `details.key` the tensor concerned where there is one.
 */
export type WeightsErrorCode =
  /** Neither format, or a readable file that does not hold a state dict (a whole pickled model, a checkpoint of other things). */
  | 'WEIGHTS_NOT_STATE_DICT'
  /** A pickle that asks for a global outside what a state dict needs (`details.global`); it is never executed. */
  | 'WEIGHTS_PICKLE_REFUSED'
  /** A truncated or damaged file: a zip without its directory, a safetensors header whose offsets or sizes lie, a missing storage. */
  | 'WEIGHTS_CORRUPT'
  /** A tensor of a dtype the network cannot take (`details.dtype`). */
  | 'WEIGHTS_DTYPE'
  /** A tensor the network needs is not in the file (`details.missing` lists all). */
  | 'WEIGHTS_MISSING_KEY'
  /** A tensor in the file that the network does not have (`details.unexpected` lists all). */
  | 'WEIGHTS_UNEXPECTED_KEY'
  /** A tensor whose shape differs from the network's (`details.expected`, `details.got`). */
  | 'WEIGHTS_SHAPE_MISMATCH';

/** Why a listed file was not used (the import goes on without it). */
export type SkipCode =
  | 'EMPTY_FILE'
  | 'NOT_AN_IMAGE'
  | 'READ_FAILED'
  | 'DECODE_FAILED'
  | 'UNSUPPORTED_FORMAT'
  | 'TOO_LARGE'
  | 'MASK_MISSING'
  | 'MASK_WITHOUT_IMAGE'
  | 'DUPLICATE_STEM'
  | 'SIZE_MISMATCH'
  | 'EMPTY_MASK'
  | 'BOX_MISSING'
  /** An image the chosen layout gives no label to (e.g. one at the root of a class-folder layout). */
  | 'OUTSIDE_LAYOUT';

/** Something a person should know about a file that is still used. */
export type WarningCode = 'EXTENSION_MISMATCH' | 'REDUCED_16_TO_8';

/** Why the imported set cannot be trained on as it is. */
export type BlockingCode =
  | 'NO_IMAGES'
  | 'EMPTY_CLASS'
  | 'TOO_FEW_CLASSES'
  | 'CLASS_TOO_SMALL'
  | 'LAYOUT_UNKNOWN'
  /** The images at the input size would not fit in memory (`maxBytes`): import a subset. */
  | 'TOO_MANY_IMAGES'
  /** A split by group needs at least 2 groups in a class (one for training, one for test). */
  | 'TOO_FEW_GROUPS'
  /** The groups file asked for cannot be read as `file,group` rows. */
  | 'GROUPS_INVALID';

export type DataErrorCode = SkipCode | WarningCode | BlockingCode | 'CANCELLED';

/**
 * Codes of an experiment's outputs read back: a results.json, the parts of a sharded experiment
 * and their merge.
 */
export type ResultsErrorCode =
  /** A file that is not a results.json of this studio (`subject`: the file, `details.field`: what is wrong). */
  | 'INVALID_RESULTS'
  /** A `--shard i/n` that is not a part of the experiment (i out of 1..n, or n larger than the runs allow). */
  | 'INVALID_SHARD'
  /** Parts of different specs, datasets or part counts, or a results.json that is not a part. */
  | 'PART_MISMATCH'
  /** A part given twice, or a run that two parts both hold. */
  | 'PART_OVERLAP'
  /** A part or a run that no part given holds, or a part folder without its results.json. */
  | 'PART_MISSING'
  /** A part whose task did not finish (crashed, cancelled, stopped, or still running). */
  | 'PART_INCOMPLETE';

/** Every code the studio can report. */
export type ErrorCode =
  | EngineErrorCode
  | DataErrorCode
  | ResultsErrorCode
  /** An experiment spec with bad fields (`details.issues` names each). */
  | 'INVALID_SPEC'
  /** The browser refused to store more (outside a checkpoint write). */
  | 'QUOTA_EXCEEDED'
  /** Anything not foreseen: a bug, or a library's own error. */
  | 'INTERNAL';

/** An error as plain data: what crosses the worker boundary and what the UI shows. */
export interface ErrorInfo {
  name: 'EngineError' | 'DataError' | 'SpecError' | 'ResultsError' | 'Error';
  code: ErrorCode;
  message: string;
  /** What the error concerns: a network, a field of the config, a file, a class. */
  subject?: string;
  details?: Record<string, unknown>;
}

/**
 * Typed engine errors, thrown before any GPU work where the cause is in the configuration.
 */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** What the error concerns: a network name, a field of the config, a file. */
  readonly subject?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: EngineErrorCode, message: string, subject?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.subject = subject;
    this.details = details;
  }

  /** A structured-clone-safe form, for crossing the worker boundary. */
  toJSON(): ErrorInfo {
    return { name: 'EngineError', code: this.code, message: this.message, subject: this.subject, details: this.details };
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'EngineError');
}

/** Typed import errors: a file that was skipped, or a reason the set cannot be trained on. */
export class DataError extends Error {
  readonly code: DataErrorCode;
  /** What the error concerns: a file path, a class name or a folder. */
  readonly subject?: string;

  constructor(code: DataErrorCode, message: string, subject?: string) {
    super(message);
    this.name = 'DataError';
    this.code = code;
    this.subject = subject;
  }

  /** A structured-clone-safe form, for crossing the worker boundary and for the report. */
  toJSON(): { name: 'DataError'; code: DataErrorCode; message: string; subject?: string } {
    return { name: 'DataError', code: this.code, message: this.message, subject: this.subject };
  }
}

export function isDataError(e: unknown): e is DataError {
  return e instanceof DataError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'DataError');
}

export interface SpecIssue {
  /** Dotted path of the bad field, e.g. "hyper.lr" or "students[1].arch". */
  field: string;
  message: string;
}

/** An experiment spec with bad fields; `issues` names every one. */
export class SpecError extends Error {
  readonly code = 'INVALID_SPEC';
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[]) {
    super(`The experiment spec is invalid:\n${issues.map((i) => `- ${i.field}: ${i.message}`).join('\n')}`);
    this.name = 'SpecError';
    this.issues = issues;
  }
}

/** A results.json, a shard or the parts of a merge that cannot be used; `subject` names the file or folder. */
export class ResultsError extends Error {
  readonly code: ResultsErrorCode;
  readonly subject?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ResultsErrorCode, message: string, subject?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ResultsError';
    this.code = code;
    this.subject = subject;
    this.details = details;
  }

  toJSON(): ErrorInfo {
    return { name: 'ResultsError', code: this.code, message: this.message, subject: this.subject, details: this.details };
  }
}

export function isErrorInfo(e: unknown): e is ErrorInfo {
  return typeof e === 'object' && e !== null && typeof (e as ErrorInfo).code === 'string' && typeof (e as ErrorInfo).message === 'string';
}

/** Any thrown value as plain data with a typed code; unforeseen errors become INTERNAL. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof SpecError) return { name: 'SpecError', code: e.code, message: e.message, details: { issues: e.issues } };
  if (isEngineError(e)) return { name: 'EngineError', code: e.code, message: e.message, subject: e.subject, details: e.details };
  if (isDataError(e)) return { name: 'DataError', code: e.code, message: e.message, subject: e.subject };
  if (e instanceof ResultsError) return e.toJSON();
  if ((e as { name?: string } | null)?.name === 'QuotaExceededError') return { name: 'Error', code: 'QUOTA_EXCEEDED', message: (e as Error).message };
  if (isErrorInfo(e)) return e;
  return { name: 'Error', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
