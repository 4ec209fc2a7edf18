/**
 * BMP decoding by hand (no maintained pure-JS decoder covers the variants): 1/4/8-bit palette,
 * 16-bit (5-5-5 or bit fields), 24-bit and 32-bit (plain or bit fields, with alpha where the header
 * gives an alpha mask), bottom-up and top-down rows. RLE-compressed BMPs are refused as unsupported.
 *
 * Pure byte arithmetic: runs in workers and in Node.
 */
import { DataError } from '../core/errors';
import type { RawImage } from './types';

const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** Extracts one channel under a bit mask and scales it to 8 bits. */
function channel(mask: number): (v: number) => number {
  if (mask === 0) return () => 255;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (((mask >>> (shift + bits)) & 1) === 1 && shift + bits < 32) bits++;
  const max = 2 ** bits - 1;
  return bits === 8 ? (v) => (v >>> shift) & 0xff : (v) => Math.round((((v & mask) >>> shift) * 255) / max);
}

export function decodeBmp(b: Uint8Array): RawImage {
  const dataOffset = le32(b, 10);
  const dib = le32(b, 14);
  const core = dib === 12;
  const width = core ? le16(b, 18) : le32(b, 18) | 0;
  const rawHeight = core ? (le16(b, 20) << 16) >> 16 : le32(b, 22) | 0;
  const bpp = core ? le16(b, 24) : le16(b, 28);
  const compression = core ? 0 : le32(b, 30);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (compression === 1 || compression === 2) throw new DataError('UNSUPPORTED_FORMAT', 'RLE-compressed BMP is not supported; save it as PNG');
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    throw new DataError('UNSUPPORTED_FORMAT', `BMP compression ${compression} (embedded JPEG/PNG) is not supported; save it as PNG`);
  }
  const rowBytes = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + rowBytes * height > b.length) throw new DataError('DECODE_FAILED', 'truncated BMP: the pixel rows end past the end of the file');

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const entry = core ? 3 : 4;
    const used = core ? 0 : le32(b, 46);
    const count = used || 1 << bpp;
    const at = 14 + dib;
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count && at + i * entry + 2 < b.length && i < 256; i++) {
      palette[i * 3] = b[at + i * entry + 2];
      palette[i * 3 + 1] = b[at + i * entry + 1];
      palette[i * 3 + 2] = b[at + i * entry];
    }
  }
  let masks: [number, number, number, number] | null = null;
  if (bpp === 16 || bpp === 32) {
    if (compression === 3 || compression === 6) {
      // Bit fields follow a 40-byte header, or are part of a V2+ header.
      masks = [le32(b, 54), le32(b, 58), le32(b, 62), compression === 6 || dib >= 56 ? le32(b, 66) : 0];
    } else {
      masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
    }
  } else if (bpp !== 24 && bpp !== 1 && bpp !== 4 && bpp !== 8) {
    throw new DataError('UNSUPPORTED_FORMAT', `${bpp}-bit BMP is not supported`);
  }
  const [cr, cg, cb, ca] = masks ? masks.map(channel) : [null, null, null, null];
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4;
      if (palette) {
        const bit = x * bpp;
        const byte = b[row + (bit >> 3)];
        const i = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[d] = palette[i * 3];
        out[d + 1] = palette[i * 3 + 1];
        out[d + 2] = palette[i * 3 + 2];
        out[d + 3] = 255;
      } else if (bpp === 24) {
        const s = row + x * 3;
        out[d] = b[s + 2];
        out[d + 1] = b[s + 1];
        out[d + 2] = b[s];
        out[d + 3] = 255;
      } else {
        const v = bpp === 16 ? le16(b, row + x * 2) : le32(b, row + x * 4);
        out[d] = cr!(v);
        out[d + 1] = cg!(v);
        out[d + 2] = cb!(v);
        out[d + 3] = ca!(v);
      }
    }
  }
  return { width, height, data: out, sourceBitDepth: 8 };
}
