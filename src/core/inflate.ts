/**
 * Inflating untrusted data into a buffer of the size its container declares (a PNG's rows, a zip
 * entry's size, a TIFF strip), never beyond: the compressed bytes are pushed through a streaming
 * inflater in slices small enough that one slice cannot produce much more than what is still
 * expected (deflate expands at most 1032:1), and the first byte past the declared size ends it.
 * A decompression bomb costs its declared size plus a few megabytes, whatever it would inflate to.
 *
 * The inflater is injected (fflate's `Inflate` or `Unzlib` in the rooms that may import fflate),
 * so this stays plain. Also CRC-32, which zip and PNG use to catch a damaged or edited file.
 *
 * Owns: the bounded inflate loop and CRC-32. Imports nothing.
 */

/** A streaming inflater as fflate makes them: `push` calls `ondata` with what it produced. */
export interface InflateStream {
  push(chunk: Uint8Array, final?: boolean): void;
}

export type InflateStreamFactory = (ondata: (data: Uint8Array, final: boolean) => void) => InflateStream;

export type BoundedInflateResult =
  | { ok: true; data: Uint8Array }
  /** 'more': the stream holds more than `expected` bytes; 'less': it ends before them; 'corrupt': it is not valid deflate. */
  | { ok: false; reason: 'more' | 'less' | 'corrupt'; message: string; produced: number };

/** Deflate's largest expansion: a 258-byte match costs at least 2 bits. */
export const DEFLATE_MAX_RATIO = 1032;
/** Slices of compressed input: small enough that one cannot overshoot by more than `OVERSHOOT`, large enough to be fast. */
const MIN_SLICE = 4 * 1024;
const MAX_SLICE = 256 * 1024;
const OVERSHOOT = 4 * 2 ** 20;

class Overflow extends Error {}

/**
 * Inflate `input` (one buffer, or the parts of one stream, as a PNG's IDAT chunks) into exactly
 * `expected` bytes. With `allowShort`, a stream that ends early is returned as far as it went.
 */
export function inflateBounded(
  input: Uint8Array | readonly Uint8Array[],
  expected: number,
  makeStream: InflateStreamFactory,
  opts: { allowShort?: boolean } = {},
): BoundedInflateResult {
  const parts = input instanceof Uint8Array ? [input] : input;
  const out = new Uint8Array(expected);
  let produced = 0;
  let ended = false;
  const stream = makeStream((data, final) => {
    if (produced + data.length > expected) throw new Overflow();
    out.set(data, produced);
    produced += data.length;
    if (final) ended = true;
  });
  try {
    const last = parts.length - 1;
    for (let p = 0; p <= last; p++) {
      const part = parts[p];
      let at = 0;
      do {
        // Smaller slices near the end: one slice can never produce much more than what is still expected.
        const room = expected - produced;
        const slice = Math.max(MIN_SLICE, Math.min(MAX_SLICE, Math.ceil((room + OVERSHOOT) / DEFLATE_MAX_RATIO)));
        const end = Math.min(part.length, at + slice);
        stream.push(part.subarray(at, end), p === last && end === part.length);
        at = end;
        if (ended) break;
      } while (at < part.length);
      if (ended) break;
    }
  } catch (e) {
    if (e instanceof Overflow) return { ok: false, reason: 'more', message: `more data than the header declares (over ${expected} bytes)`, produced };
    return { ok: false, reason: 'corrupt', message: `corrupt compressed data (${e instanceof Error ? e.message : String(e)})`, produced };
  }
  if (produced < expected && !opts.allowShort) {
    return { ok: false, reason: 'less', message: `less data than the header declares (${produced} of ${expected} bytes)`, produced };
  }
  return { ok: true, data: produced === expected ? out : out.subarray(0, produced) };
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, as zip and PNG use it) of `bytes`, continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
