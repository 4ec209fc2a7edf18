/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { str: str } }`
 * padded with spaces, then the tensors' bytes. Reading trusts nothing in the header: every offset
 * must lie inside the data, every size must equal the shape times the dtype's size, tensors must not
 * overlap and must cover the data without holes (the reference implementation's rules), or the file
 * is refused with WEIGHTS_CORRUPT naming the key. Tensors are views into the file's bytes.
 *
 * Written without a library: the format is one JSON header, and the checks are the point.
 * Owns: `readSafetensors`, `writeSafetensors`, `looksLikeSafetensors`. Must not import TensorFlow.js.
 */
import { DTYPE_BYTES, isDType, numel, weightsError, type RawTensor, type StateDict } from './stateDict';

/** Headers above this are refused (the reference implementation's limit is 100 MB). */
const MAX_HEADER = 100_000_000;

function headerLength(bytes: Uint8Array): number | null {
  if (bytes.length < 8) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const lo = v.getUint32(0, true);
  const hi = v.getUint32(4, true);
  if (hi !== 0) return null;
  return lo;
}

/** Whether the bytes start like a safetensors file (a plausible header length and a JSON object). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  const n = headerLength(bytes);
  return n !== null && n >= 2 && n <= MAX_HEADER && bytes.length >= 9 && bytes[8] === 0x7b; // '{'
}

export function readSafetensors(bytes: Uint8Array, file: string): StateDict {
  const n = headerLength(bytes);
  if (n === null || bytes.length < 8) throw weightsError('WEIGHTS_CORRUPT', file, 'the file is too short for a safetensors header');
  if (n > MAX_HEADER) throw weightsError('WEIGHTS_CORRUPT', file, `the safetensors header claims ${n} bytes (at most ${MAX_HEADER})`);
  if (8 + n > bytes.length) {
    throw weightsError('WEIGHTS_CORRUPT', file, `the safetensors header claims ${n} bytes but the file holds ${bytes.length - 8} after its length`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw weightsError('WEIGHTS_CORRUPT', file, `the safetensors header is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw weightsError('WEIGHTS_NOT_STATE_DICT', file, 'the safetensors header is not a JSON object of tensors');
  }
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, RawTensor>();
  let metadata: Record<string, string> | undefined;
  const spans: { key: string; begin: number; end: number }[] = [];
  for (const [key, v] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw weightsError('WEIGHTS_CORRUPT', file, '__metadata__ must map strings to strings', { key });
      }
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw weightsError('WEIGHTS_CORRUPT', file, `${key} is not a tensor entry`, { key });
    if (typeof e.dtype !== 'string' || !isDType(e.dtype)) {
      throw weightsError('WEIGHTS_DTYPE', file, `${key} has the unknown dtype ${JSON.stringify(e.dtype)}`, { key, dtype: e.dtype });
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw weightsError('WEIGHTS_CORRUPT', file, `${key} has a bad shape ${JSON.stringify(e.shape)}`, { key });
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw weightsError('WEIGHTS_CORRUPT', file, `${key} has bad data_offsets ${JSON.stringify(off)}`, { key });
    }
    const [begin, end] = off as [number, number];
    if (end > data.length) {
      throw weightsError('WEIGHTS_CORRUPT', file, `${key} ends at byte ${end} of the data, which holds ${data.length}`, {
        key,
        begin,
        end,
        dataBytes: data.length,
      });
    }
    const shape = e.shape as number[];
    const want = numel(shape) * DTYPE_BYTES[e.dtype];
    if (end - begin !== want) {
      throw weightsError('WEIGHTS_CORRUPT', file, `${key} spans ${end - begin} bytes but ${e.dtype} ${JSON.stringify(shape)} needs ${want}`, {
        key,
        bytes: end - begin,
        expectedBytes: want,
      });
    }
    spans.push({ key, begin, end });
    tensors.set(key, { dtype: e.dtype, shape, data: data.subarray(begin, end) });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const s of spans) {
    if (s.begin < at) throw weightsError('WEIGHTS_CORRUPT', file, `${s.key} overlaps the tensor before it (bytes ${s.begin}-${s.end})`, { key: s.key });
    if (s.begin > at) throw weightsError('WEIGHTS_CORRUPT', file, `the data has a hole before ${s.key} (bytes ${at}-${s.begin})`, { key: s.key });
    at = s.end;
  }
  if (at !== data.length) throw weightsError('WEIGHTS_CORRUPT', file, `the data holds ${data.length - at} bytes after the last tensor`);
  return { file, format: 'safetensors', tensors, ...(metadata ? { metadata } : {}) };
}

/** A safetensors file of `tensors` (in their order) with string metadata. */
export function writeSafetensors(tensors: Map<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let at = 0;
  for (const [key, t] of tensors) {
    header[key] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.length] };
    at += t.data.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  let o = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(t.data, o);
    o += t.data.length;
  }
  return out;
}
