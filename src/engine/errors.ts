/**
 * Typed engine errors: a stable code that tests and the UI branch on, a message a person can act
 * on, and the network, file or field it concerns. Thrown before any GPU work where the cause is
 * in the configuration.
 */
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
  | 'STORAGE_FULL';

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
  toJSON(): { name: string; code: EngineErrorCode; message: string; subject?: string; details?: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, subject: this.subject, details: this.details };
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'EngineError');
}
