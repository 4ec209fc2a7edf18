/**
 * PNG decoding into 8-bit RGBA, bounded by what the header declares: every colour type (grey,
 * grey+alpha, RGB, RGBA, palette with tRNS alpha), every bit depth (1, 2, 4 unpacked and scaled;
 * 16 reduced with rounding, the source depth kept so the import can warn), Adam7 interlacing.
 * Exact stored values: no gamma or colour profile.
 *
 * Bounded: the image data is inflated (fflate's streaming `Unzlib`, through `inflateBounded`) into
 * a buffer of exactly the size IHDR implies and stops at the first byte beyond it ("more data
 * than the header declares"); a header that claims more pixels than its compressed data could
 * ever hold (deflate expands at most 1032:1) is refused before anything is allocated; the CRC of
 * every critical chunk is checked; compressed metadata (iCCP, zTXt, iTXt) is never inflated.
 * fast-png, used here before, inflates every IDAT and the ICC profile with no limit, so a 200 KB
 * file could take gigabytes; it stays the tests' encoder.
 *
 * Pure JS: runs in workers and in Node.
 */
import { Unzlib } from 'fflate';
import { crc32, DEFLATE_MAX_RATIO, inflateBounded } from '../core/inflate';
import { DataError } from '../core/errors';
import type { RawImage } from './types';

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

const fail = (message: string): never => {
  throw new DataError('DECODE_FAILED', message);
};
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  channels: number;
  interlaced: boolean;
}

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
}

function passes(h: Header): Pass[] {
  if (!h.interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width: h.width, height: h.height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0,
    y0,
    dx,
    dy,
    width: Math.max(0, Math.ceil((h.width - x0) / dx)),
    height: Math.max(0, Math.ceil((h.height - y0) / dy)),
  })).filter((p) => p.width > 0 && p.height > 0);
}

const rowBytesOf = (h: Header, width: number) => Math.ceil((width * h.channels * h.depth) / 8);

/** Bytes of the filtered image data IHDR implies: one filter byte per row of every pass. */
export function pngDataSize(h: Header): number {
  return passes(h).reduce((sum, p) => sum + p.height * (1 + rowBytesOf(h, p.width)), 0);
}

/** Undo the row filters in place (PNG spec section 9). */
function unfilter(data: Uint8Array, at: number, rows: number, rowBytes: number, bpp: number): void {
  let prev = -1;
  for (let y = 0; y < rows; y++) {
    const f = data[at];
    const row = at + 1;
    const end = row + rowBytes;
    if (f === 1) {
      for (let i = row + bpp; i < end; i++) data[i] += data[i - bpp];
    } else if (f === 2) {
      if (prev >= 0) for (let i = row, j = prev; i < end; i++, j++) data[i] += data[j];
    } else if (f === 3) {
      for (let i = row, j = prev; i < end; i++, j++) {
        const a = i - row >= bpp ? data[i - bpp] : 0;
        const b = prev >= 0 ? data[j] : 0;
        data[i] += (a + b) >> 1;
      }
    } else if (f === 4) {
      for (let i = row, j = prev; i < end; i++, j++) {
        const left = i - row >= bpp;
        const a = left ? data[i - bpp] : 0;
        const b = prev >= 0 ? data[j] : 0;
        const c = prev >= 0 && left ? data[j - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        data[i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
    } else if (f !== 0) fail(`corrupt PNG: unknown row filter ${f}`);
    prev = row;
    at = end;
  }
}

/** Decode a PNG file into 8-bit RGBA; a damaged or crafted file throws DataError DECODE_FAILED. */
export function decodePng(bytes: Uint8Array): RawImage {
  if (bytes.length < 8 || be32(bytes, 0) !== 0x89504e47 || be32(bytes, 4) !== 0x0d0a1a0a) fail('not a PNG: no signature');
  let header: Header | null = null;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let at = 8;
  let ended = false;
  while (!ended) {
    if (at + 12 > bytes.length) fail('truncated PNG: the file ends inside a chunk');
    const length = be32(bytes, at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (length > bytes.length - at - 12) fail(`truncated PNG: the ${type} chunk ends past the end of the file`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    const stored = be32(bytes, at + 8 + length);
    const ok = crc32(bytes.subarray(at + 4, at + 8 + length)) === stored;
    at += 12 + length;
    if (!ok) {
      if (CRITICAL.has(type)) fail(`corrupt PNG: bad checksum in the ${type} chunk`);
      continue; // a damaged ancillary chunk is dropped, as libpng does
    }
    if (!header && type !== 'IHDR') fail('corrupt PNG: the first chunk is not IHDR');
    switch (type) {
      case 'IHDR': {
        if (header) fail('corrupt PNG: two IHDR chunks');
        if (length !== 13) fail('corrupt PNG: IHDR is not 13 bytes');
        const width = be32(data, 0);
        const height = be32(data, 4);
        const [depth, colorType, compression, filter, interlace] = data.subarray(8, 13);
        if (width === 0 || height === 0) fail('corrupt PNG: zero width or height');
        if (width > 2 ** 31 - 1 || height > 2 ** 31 - 1) fail('corrupt PNG: width or height beyond 2^31 - 1');
        if (!CHANNELS[colorType]) fail(`corrupt PNG: unknown colour type ${colorType}`);
        if (!DEPTHS[colorType].includes(depth)) fail(`corrupt PNG: bit depth ${depth} is not allowed for colour type ${colorType}`);
        if (compression !== 0 || filter !== 0 || interlace > 1) fail('corrupt PNG: unknown compression, filter or interlace method');
        header = { width, height, depth, colorType, channels: CHANNELS[colorType], interlaced: interlace === 1 };
        break;
      }
      case 'PLTE':
        if (length % 3 !== 0 || length === 0 || length > 256 * 3) fail('corrupt PNG: PLTE is not 1 to 256 colours');
        palette = data;
        break;
      case 'tRNS':
        trns = data;
        break;
      case 'IDAT':
        idat.push(data);
        idatBytes += length;
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        break; // ancillary (text, ICC profile, animation...): not needed, never inflated
    }
  }
  const h = header!;
  if (h.colorType === 3 && !palette) fail('corrupt PNG: a palette image without PLTE');
  const expected = pngDataSize(h);
  // Deflate cannot expand more than 1032:1: a header claiming more is lying about its size.
  if (expected > (idatBytes + 1) * DEFLATE_MAX_RATIO + 64) {
    fail(`corrupt PNG: ${h.width} x ${h.height} needs ${expected} bytes of image data, more than its ${idatBytes} compressed bytes can hold`);
  }
  const inflated = inflateBounded(idat, expected, (ondata) => new Unzlib(ondata));
  if (!inflated.ok) fail(inflated.reason === 'less' ? `truncated PNG: ${inflated.message}` : `corrupt PNG: ${inflated.message}`);
  const raw = (inflated as { data: Uint8Array }).data;

  const { width, height, depth, channels } = h;
  const out = new Uint8Array(width * height * 4);
  const max = 2 ** depth - 1;
  const to8 = depth === 8 ? (v: number) => v : depth === 16 ? (v: number) => ((v * 255 + 32767) / 65535) | 0 : (v: number) => Math.round((v * 255) / max);
  const pal = palette ? new Uint8Array(256 * 4).fill(0) : null;
  if (pal && palette) {
    for (let i = 0; i < 256; i++) {
      pal[i * 4 + 3] = 255;
      if (i * 3 < palette.length) pal.set(palette.subarray(i * 3, i * 3 + 3), i * 4);
      if (trns && i < trns.length) pal[i * 4 + 3] = trns[i];
    }
  }
  // tRNS for grey and RGB: one key colour (16-bit values) shown fully transparent.
  const key =
    !pal && trns && trns.length >= (channels <= 2 ? 2 : 6)
      ? Array.from({ length: channels <= 2 ? 1 : 3 }, (_, i) => (trns[i * 2] << 8) | trns[i * 2 + 1])
      : null;
  const bpp = Math.max(1, (channels * depth) >> 3);
  let offset = 0;
  for (const p of passes(h)) {
    const rowBytes = rowBytesOf(h, p.width);
    unfilter(raw, offset, p.height, rowBytes, bpp);
    for (let py = 0; py < p.height; py++) {
      const row = offset + py * (rowBytes + 1) + 1;
      const y = p.y0 + py * p.dy;
      if (depth === 8 && !pal && !key) {
        // The common case, without per-sample calls.
        let d = (y * width + p.x0) * 4;
        const step = p.dx * 4;
        for (let px = 0, s = row; px < p.width; px++, s += channels, d += step) {
          if (channels >= 3) {
            out[d] = raw[s];
            out[d + 1] = raw[s + 1];
            out[d + 2] = raw[s + 2];
            out[d + 3] = channels === 4 ? raw[s + 3] : 255;
          } else {
            out[d] = out[d + 1] = out[d + 2] = raw[s];
            out[d + 3] = channels === 2 ? raw[s + 1] : 255;
          }
        }
        continue;
      }
      // Sample i of this row, whatever the packing.
      const sample =
        depth === 8
          ? (i: number) => raw[row + i]
          : depth === 16
            ? (i: number) => (raw[row + 2 * i] << 8) | raw[row + 2 * i + 1]
            : (i: number) => {
                const bit = i * depth;
                return (raw[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & max;
              };
      for (let px = 0; px < p.width; px++) {
        const d = (y * width + p.x0 + px * p.dx) * 4;
        const i = px * channels;
        if (pal) {
          const c = sample(i) * 4;
          out[d] = pal[c];
          out[d + 1] = pal[c + 1];
          out[d + 2] = pal[c + 2];
          out[d + 3] = pal[c + 3];
        } else if (channels <= 2) {
          const g = sample(i);
          out[d] = out[d + 1] = out[d + 2] = to8(g);
          out[d + 3] = channels === 2 ? to8(sample(i + 1)) : key && g === key[0] ? 0 : 255;
        } else {
          const r = sample(i);
          const g = sample(i + 1);
          const b = sample(i + 2);
          out[d] = to8(r);
          out[d + 1] = to8(g);
          out[d + 2] = to8(b);
          out[d + 3] = channels === 4 ? to8(sample(i + 3)) : key && r === key[0] && g === key[1] && b === key[2] ? 0 : 255;
        }
      }
    }
    offset += p.height * (rowBytes + 1);
  }
  return { width, height, data: out, sourceBitDepth: depth };
}
