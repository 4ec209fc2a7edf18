/**
 * EXIF orientation: read from JPEG APP1, PNG eXIf, WebP EXIF and TIFF's own Orientation tag;
 * applied to decoded pixels, masks and boxes by one set of functions, so an image and its mask
 * always turn together; and reset to 1 in a copy of the bytes handed to a decoder, so that no
 * decoder (whatever a browser's createImageBitmap does with `imageOrientation`) applies it twice.
 *
 * Pure byte arithmetic: no DOM, no Node.
 */
import { entryValue, readIfd, readTiffStructure, TAG, type TiffStructure } from './ifd';
import type { Box, ImageFormat, RawImage } from './types';

/** EXIF orientation 1..8: 1 as stored, 2 mirrored, 3 rotated 180, 4 flipped, 5 transposed, 6 needs 90 clockwise, 7 transversed, 8 needs 90 anticlockwise. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

interface OrientationTag {
  value: number;
  /** Absolute offset of the 2-byte value. */
  at: number;
  little: boolean;
  /** For PNG: the eXIf chunk, whose CRC must be recomputed when the value changes. */
  pngChunk?: { typeAt: number; end: number };
}

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && at + i < b.length; i++) s += String.fromCharCode(b[at + i]);
  return s;
}

function tagIn(b: Uint8Array, t: TiffStructure | null): OrientationTag | null {
  if (!t) return null;
  const ifd = readIfd(b, t, t.ifd0);
  const e = ifd?.get(TAG.Orientation);
  if (!e || e.type !== 3) return null;
  const value = entryValue(b, t, e);
  return value === null ? null : { value, at: e.valueAt, little: t.little };
}

function locateJpeg(b: Uint8Array): OrientationTag | null {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1];
    if (m === 0xda || m === 0xd9) return null;
    if (m === 0xd8 || m === 0x01 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) {
      i += m === 0xff ? 1 : 2;
      continue;
    }
    const len = be16(b, i + 2);
    if (m === 0xe1 && ascii(b, i + 4, 6) === 'Exif\0\0') {
      // The EXIF block is bounded by its segment: look no further than its end.
      const seg = b.subarray(0, Math.min(b.length, i + 2 + len));
      const found = tagIn(seg, readTiffStructure(seg, i + 10));
      if (found) return found;
    }
    i += 2 + len;
  }
  return null;
}

function locatePng(b: Uint8Array): OrientationTag | null {
  let i = 8;
  while (i + 12 <= b.length) {
    const len = be32(b, i);
    const type = ascii(b, i + 4, 4);
    if (type === 'IEND') return null;
    if (type === 'eXIf') {
      const end = i + 8 + len;
      const seg = b.subarray(0, Math.min(b.length, end));
      const found = tagIn(seg, readTiffStructure(seg, i + 8));
      return found ? { ...found, pngChunk: { typeAt: i + 4, end } } : null;
    }
    i += 12 + len;
  }
  return null;
}

function locateWebp(b: Uint8Array): OrientationTag | null {
  let i = 12;
  while (i + 8 <= b.length) {
    const type = ascii(b, i, 4);
    const len = le32(b, i + 4);
    if (type === 'EXIF') {
      const start = ascii(b, i + 8, 6) === 'Exif\0\0' ? i + 14 : i + 8;
      const seg = b.subarray(0, Math.min(b.length, i + 8 + len));
      return tagIn(seg, readTiffStructure(seg, start));
    }
    i += 8 + len + (len & 1);
  }
  return null;
}

function locate(b: Uint8Array, format: ImageFormat): OrientationTag | null {
  try {
    switch (format) {
      case 'jpeg':
        return locateJpeg(b);
      case 'png':
        return locatePng(b);
      case 'webp':
        return locateWebp(b);
      case 'tiff':
        return tagIn(b, readTiffStructure(b, 0));
      default:
        return null;
    }
  } catch {
    return null;
  }
}

function valid(v: number): Orientation {
  return v >= 1 && v <= 8 ? (v as Orientation) : 1;
}

/** The EXIF orientation of an image file (1 when absent or invalid). */
export function readOrientation(bytes: Uint8Array, format: ImageFormat): Orientation {
  const tag = locate(bytes, format);
  return tag ? valid(tag.value) : 1;
}

let crcTable: Uint32Array | null = null;
function crc32(b: Uint8Array, from: number, to: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The bytes with their orientation tag set to 1 (a copy; the same array when there is nothing to
 * reset), for decoders that might apply it themselves.
 */
export function neutralizeOrientation(bytes: Uint8Array, format: ImageFormat): Uint8Array {
  const tag = locate(bytes, format);
  if (!tag || tag.value === 1) return bytes;
  const out = bytes.slice();
  if (tag.little) {
    out[tag.at] = 1;
    out[tag.at + 1] = 0;
  } else {
    out[tag.at] = 0;
    out[tag.at + 1] = 1;
  }
  if (tag.pngChunk && tag.pngChunk.end + 4 <= out.length) {
    const crc = crc32(out, tag.pngChunk.typeAt, tag.pngChunk.end);
    const at = tag.pngChunk.end;
    out[at] = crc >>> 24;
    out[at + 1] = (crc >>> 16) & 0xff;
    out[at + 2] = (crc >>> 8) & 0xff;
    out[at + 3] = crc & 0xff;
  }
  return out;
}

/** Whether an orientation swaps width and height. */
export function swapsAxes(o: Orientation): boolean {
  return o >= 5;
}

/** Size after orientation. */
export function orientedSize(width: number, height: number, o: Orientation): [number, number] {
  return swapsAxes(o) ? [height, width] : [width, height];
}

/** The pixels as they are meant to be seen. RGBA in, RGBA out; the input is not changed. */
export function applyOrientation(raw: RawImage, o: Orientation): RawImage {
  if (o === 1) return raw;
  const { width: W, height: H, data } = raw;
  const [ow, oh] = orientedSize(W, H, o);
  const out = new Uint8Array(ow * oh * 4);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let sx: number;
      let sy: number;
      switch (o) {
        case 2:
          sx = W - 1 - ox;
          sy = oy;
          break;
        case 3:
          sx = W - 1 - ox;
          sy = H - 1 - oy;
          break;
        case 4:
          sx = ox;
          sy = H - 1 - oy;
          break;
        case 5:
          sx = oy;
          sy = ox;
          break;
        case 6:
          sx = oy;
          sy = H - 1 - ox;
          break;
        case 7:
          sx = W - 1 - oy;
          sy = H - 1 - ox;
          break;
        default:
          sx = W - 1 - oy;
          sy = ox;
          break; // 8
      }
      const s = (sy * W + sx) * 4;
      const d = (oy * ow + ox) * 4;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
      out[d + 3] = data[s + 3];
    }
  }
  return { width: ow, height: oh, data: out, sourceBitDepth: raw.sourceBitDepth };
}

/** A normalised box drawn on the stored pixels, moved to where `applyOrientation` puts them. */
export function orientBox(box: Box, o: Orientation): Box {
  const [cx, cy, w, h] = box;
  switch (o) {
    case 1:
      return [cx, cy, w, h];
    case 2:
      return [1 - cx, cy, w, h];
    case 3:
      return [1 - cx, 1 - cy, w, h];
    case 4:
      return [cx, 1 - cy, w, h];
    case 5:
      return [cy, cx, h, w];
    case 6:
      return [1 - cy, cx, h, w];
    case 7:
      return [1 - cy, 1 - cx, h, w];
    default:
      return [cy, 1 - cx, h, w]; // 8
  }
}
