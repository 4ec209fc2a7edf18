/**
 * LZW decoding into a buffer of the size the container declares, for GIF frames and TIFF strips
 * and tiles. The first output byte beyond the buffer ends it with DataError DECODE_FAILED ("more
 * data than the header declares"): geotiff's own LZW decoder grows a JavaScript array with no
 * limit (8 bytes or more per output byte), so a small strip could take gigabytes.
 *
 * Two dialects: GIF's (codes packed least significant bit first, the code width grows when the
 * table reaches a power of two) and TIFF's (most significant bit first, the width grows one code
 * early, codes start at 9 bits). Both stop adding codes once the table holds 4096 entries.
 *
 * Pure byte arithmetic: runs in workers and in Node.
 */
import { DataError } from '../core/errors';

export interface LzwDialect {
  /** Least significant bit first (GIF) or most significant bit first (TIFF). */
  lsbFirst: boolean;
  /** Bits of a literal: the clear code is 2^minCodeSize (8 for TIFF, 2 to 8 in a GIF). */
  minCodeSize: number;
  /** 1 when the code width grows one code early (TIFF), 0 otherwise (GIF). */
  earlyChange: 0 | 1;
}

export const TIFF_LZW: LzwDialect = { lsbFirst: false, minCodeSize: 8, earlyChange: 1 };

const MAX_CODES = 4096;

/**
 * Decode `src` into `out` and return how many bytes were written. A stream that ends before
 * `out` is full (no end code, or end code early) returns the shorter count; one that holds more
 * throws DECODE_FAILED.
 */
export function lzwDecode(src: Uint8Array, out: Uint8Array, d: LzwDialect, what = 'corrupt LZW data'): number {
  const clear = 1 << d.minCodeSize;
  const eoi = clear + 1;
  const prefix = new Uint16Array(MAX_CODES);
  const suffix = new Uint8Array(MAX_CODES);
  const first = new Uint8Array(MAX_CODES);
  const length = new Uint16Array(MAX_CODES);
  for (let i = 0; i < clear; i++) {
    suffix[i] = first[i] = i;
    length[i] = 1;
  }
  let size = d.minCodeSize + 1;
  let next = eoi + 1;
  let prev = -1;
  let pos = 0;
  let acc = 0;
  let bits = 0;
  let at = 0;
  const limit = out.length;

  const emit = (code: number): void => {
    const n = length[code];
    if (pos + n > limit) throw new DataError('DECODE_FAILED', `${what}: more data than the header declares (over ${limit} bytes)`);
    let c = code;
    for (let i = pos + n - 1; i > pos; i--) {
      out[i] = suffix[c];
      c = prefix[c];
    }
    out[pos] = suffix[c];
    pos += n;
  };

  for (;;) {
    while (bits < size && at < src.length) {
      if (d.lsbFirst) acc |= src[at++] << bits;
      else acc = ((acc << 8) | src[at++]) & 0xffffff;
      bits += 8;
    }
    if (bits < size) break; // the data ends without an end code
    let code: number;
    if (d.lsbFirst) {
      code = acc & ((1 << size) - 1);
      acc >>>= size;
    } else code = (acc >>> (bits - size)) & ((1 << size) - 1);
    bits -= size;

    if (code === clear) {
      size = d.minCodeSize + 1;
      next = eoi + 1;
      prev = -1;
      continue;
    }
    if (code === eoi) break;
    if (prev < 0) {
      if (code >= clear) throw new DataError('DECODE_FAILED', `${what}: code ${code} before any table entry`);
      emit(code);
    } else if (code < next) {
      emit(code);
      if (next < MAX_CODES) {
        prefix[next] = prev;
        suffix[next] = first[code];
        first[next] = first[prev];
        length[next] = length[prev] + 1;
        next++;
      }
    } else if (code === next && next < MAX_CODES) {
      // The code being defined right now: the previous string plus its own first byte.
      prefix[next] = prev;
      suffix[next] = first[prev];
      first[next] = first[prev];
      length[next] = length[prev] + 1;
      next++;
      emit(code);
    } else {
      throw new DataError('DECODE_FAILED', `${what}: code ${code} beyond the table (${next})`);
    }
    prev = code;
    if (next + d.earlyChange >= 1 << size && size < 12) size++;
  }
  return pos;
}
