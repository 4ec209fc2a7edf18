/**
 * A state dict as read from or written to a file, on the CPU only: named tensors as raw
 * little-endian bytes with their dtype and shape, and the typed error every reader throws.
 * Nothing here touches TensorFlow.js, so a bad file is refused before any GPU memory is taken.
 *
 * Owns: `RawTensor`, `StateDict`, dtype sizes and the conversion to float32, `weightsError`.
 * Must not import TensorFlow.js, the networks, the DOM.
 */
import { EngineError, type WeightsErrorCode } from '../../core/errors';

/** safetensors' dtype names; the PyTorch reader maps its storages onto them. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<DType, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export const FLOAT_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16', 'F64'];

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

export interface RawTensor {
  dtype: DType;
  shape: number[];
  /** Contiguous, row-major, little-endian bytes (a view into the file where possible). */
  data: Uint8Array;
}

export interface StateDict {
  /** The file's name, for every error and report. */
  file: string;
  format: 'safetensors' | 'pytorch';
  /** In the file's order. */
  tensors: Map<string, RawTensor>;
  /** safetensors' `__metadata__` (string to string), if any. */
  metadata?: Record<string, string>;
}

/** One typed error about a weights file (and a key in it). */
export function weightsError(code: WeightsErrorCode, file: string, message: string, details: Record<string, unknown> = {}): EngineError {
  return new EngineError(code, `${file}: ${message}`, file, { file, ...details });
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The tensor's values as float32. Float dtypes only: any other gives WEIGHTS_DTYPE naming the key
 * (a weight stored as integers is not a weight).
 */
export function toFloat32(t: RawTensor, file: string, key: string): Float32Array {
  const n = numel(t.shape);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'F32': {
      if (t.data.byteOffset % 4 === 0) return new Float32Array(t.data.buffer, t.data.byteOffset, n).slice();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(n);
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      for (let i = 0; i < n; i++) {
        u[0] = view.getUint16(i * 2, true) << 16;
        out[i] = f[0];
      }
      return out;
    }
    default:
      throw weightsError('WEIGHTS_DTYPE', file, `${key} is stored as ${t.dtype}; a weight must be a float tensor (F32, F16, BF16 or F64)`, {
        key,
        dtype: t.dtype,
      });
  }
}

/** A float32 tensor as a RawTensor (copies the values). */
export function rawF32(values: Float32Array, shape: number[]): RawTensor {
  return { dtype: 'F32', shape, data: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

/** An int64 scalar (BatchNorm's num_batches_tracked). */
export function rawI64Scalar(v: number): RawTensor {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigInt64(0, BigInt(v), true);
  return { dtype: 'I64', shape: [], data };
}
