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
  /** A bundle (or one of its entries) larger than the studio opens; the bundle is not read. */
  | 'BUNDLE_TOO_LARGE';

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
  | 'TOO_MANY_IMAGES';

export type DataErrorCode = SkipCode | WarningCode | BlockingCode | 'CANCELLED';

/** Every code the studio can report. */
export type ErrorCode =
  | EngineErrorCode
  | DataErrorCode
  /** An experiment spec with bad fields (`details.issues` names each). */
  | 'INVALID_SPEC'
  /** The browser refused to store more (outside a checkpoint write). */
  | 'QUOTA_EXCEEDED'
  /** Anything not foreseen: a bug, or a library's own error. */
  | 'INTERNAL';

/** An error as plain data: what crosses the worker boundary and what the UI shows. */
export interface ErrorInfo {
  name: 'EngineError' | 'DataError' | 'SpecError' | 'Error';
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

export function isErrorInfo(e: unknown): e is ErrorInfo {
  return typeof e === 'object' && e !== null && typeof (e as ErrorInfo).code === 'string' && typeof (e as ErrorInfo).message === 'string';
}

/** Any thrown value as plain data with a typed code; unforeseen errors become INTERNAL. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof SpecError) return { name: 'SpecError', code: e.code, message: e.message, details: { issues: e.issues } };
  if (isEngineError(e)) return { name: 'EngineError', code: e.code, message: e.message, subject: e.subject, details: e.details };
  if (isDataError(e)) return { name: 'DataError', code: e.code, message: e.message, subject: e.subject };
  if ((e as { name?: string } | null)?.name === 'QuotaExceededError') return { name: 'Error', code: 'QUOTA_EXCEEDED', message: (e as Error).message };
  if (isErrorInfo(e)) return e;
  return { name: 'Error', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}
