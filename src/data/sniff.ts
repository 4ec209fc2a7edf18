/**
 * The format of a file from its magic bytes (never its name), and the image's dimensions and bit
 * depth from its header, without decoding: so an oversized image is refused before any pixel is
 * allocated, and a truncated file (no JPEG EOI, no PNG IEND, strips past the end of a TIFF) is
 * reported as such instead of being decoded into a half-grey picture, as some decoders would.
 *
 * Pure byte arithmetic: no DOM, no Node.
 */
import { entryValue, entryValues, readIfd, readTiffStructure, TAG } from './ifd';
import type { ImageFormat } from './types';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Bits per channel as stored (8, 16; 1/2/4 for low-depth PNGs; 12 for 12-bit JPEG). */
  bitDepth: number;
  /** Channels as stored (palette images count 1). */
  channels: number;
  /** PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  pngColorType?: number;
  /** False when the file ends before the image data does. */
  complete: boolean;
  /**
   * JPEG: bytes from the first scan to the end of the file, and whether the entropy coding is
   * Huffman (whose expansion is bounded; arithmetic coding's is not), so a header that claims more
   * pixels than its data could hold is refused before the decoder allocates them.
   */
  scan?: { bytes: number; huffman: boolean };
}

export type SniffResult =
  | { ok: true; format: ImageFormat; header: ImageHeader }
  | { ok: false; code: 'NOT_AN_IMAGE' | 'DECODE_FAILED' | 'UNSUPPORTED_FORMAT'; message: string; format?: ImageFormat };

const be16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const le24 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && at + i < b.length; i++) s += String.fromCharCode(b[at + i]);
  return s;
}

/** The format from the magic bytes, or null. */
export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a)))
    return 'tiff';
  if (b.length >= 14 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  return null;
}

/** Recognisable image formats the studio does not read, so the message can say what to do. */
function otherImageFormat(b: Uint8Array): string | null {
  if (b.length >= 132 && ascii(b, 128, 4) === 'DICM') return 'DICOM';
  if (b.length >= 12 && be32(b, 0) === 12 && ascii(b, 4, 4) === 'jP  ') return 'JPEG 2000';
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) return 'JPEG 2000';
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'AVIF';
    if (/^(heic|heix|hevc|hevx|mif1|msf1)$/.test(brand)) return 'HEIC';
  }
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2b) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2b))) return 'BigTIFF';
  if (b.length >= 4 && ascii(b, 0, 4) === '8BPS') return 'Photoshop (PSD)';
  return null;
}

type Parsed = Omit<ImageHeader, 'format'> | string;

/** More strips or tiles than a 40-megapixel image cut into 16 x 16 tiles would have: a crafted count. */
const MAX_TIFF_BLOCKS = 2 ** 20;

/**
 * Pixels a Huffman-coded JPEG can hold per byte of scan data: every 8 x 8 block costs at least one
 * bit (its DC code), and progressive end-of-band runs cannot go below that; 4:2:0 colour needs
 * more. 1024 leaves room for any real file.
 */
export const JPEG_MAX_PIXELS_PER_BYTE = 1024;

function parseJpeg(b: Uint8Array): Parsed {
  let i = 2;
  let sof: { width: number; height: number; precision: number; comps: number; marker: number } | null = null;
  let sos = -1;
  while (i < b.length) {
    if (b[i] !== 0xff) return `corrupt JPEG: no marker at byte ${i}`;
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) break;
    const m = b[i++];
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    if (m === 0xd9) break;
    if (i + 2 > b.length) break;
    const len = be16(b, i);
    if (len < 2) return 'corrupt JPEG: bad segment length';
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (i + 8 > b.length) break;
      sof = { precision: b[i + 2], height: be16(b, i + 3), width: be16(b, i + 5), comps: b[i + 7], marker: m };
    }
    if (m === 0xda) {
      sos = i + len;
      break;
    }
    i += len;
  }
  if (!sof) return sos >= 0 ? 'corrupt JPEG: image data before its frame header' : 'truncated JPEG: the file ends before the frame header';
  if (sof.marker === 0xc3 || sof.marker === 0xc7 || sof.marker === 0xcb || sof.marker === 0xcf) {
    return 'UNSUPPORTED:lossless JPEG (as in some DICOM exports) is not supported; convert it to PNG';
  }
  if (sof.width === 0 || sof.height === 0) return 'corrupt JPEG: zero width or height';
  // Entropy-coded data cannot contain FF D9 (FF is stuffed as FF 00), so an EOI after the first
  // scan means the file is whole; bytes after it (some cameras append them) are allowed.
  let complete = false;
  if (sos >= 0) {
    for (let j = b.length - 2; j >= sos; j--) {
      if (b[j] === 0xff && b[j + 1] === 0xd9) {
        complete = true;
        break;
      }
    }
  }
  const huffman = sof.marker < 0xc9;
  return {
    width: sof.width,
    height: sof.height,
    bitDepth: sof.precision,
    channels: sof.comps,
    complete,
    scan: { bytes: sos >= 0 ? b.length - sos : 0, huffman },
  };
}

function parsePng(b: Uint8Array): Parsed {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') return 'truncated PNG: no IHDR header';
  const width = be32(b, 16);
  const height = be32(b, 20);
  const bitDepth = b[24];
  const colorType = b[25];
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!channels) return `corrupt PNG: unknown colour type ${colorType}`;
  if (width === 0 || height === 0) return 'corrupt PNG: zero width or height';
  let i = 8;
  let complete = false;
  while (i + 8 <= b.length) {
    const len = be32(b, i);
    if (ascii(b, i + 4, 4) === 'IEND') {
      complete = true;
      break;
    }
    i += 12 + len;
  }
  return { width, height, bitDepth, channels, pngColorType: colorType, complete };
}

function parseGif(b: Uint8Array): Parsed {
  if (b.length < 13) return 'truncated GIF: no screen descriptor';
  const width = le16(b, 6);
  const height = le16(b, 8);
  if (width === 0 || height === 0) return 'corrupt GIF: zero width or height';
  const flags = b[10];
  let i = 13 + (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0);
  const skipSubBlocks = (): boolean => {
    for (;;) {
      if (i >= b.length) return false;
      const s = b[i++];
      if (s === 0) return true;
      i += s;
    }
  };
  // Walk to the end of the first frame: the only one used.
  while (i < b.length) {
    const c = b[i];
    if (c === 0x21) {
      i += 2;
      if (!skipSubBlocks()) break;
    } else if (c === 0x2c) {
      if (i + 10 > b.length) break;
      const lf = b[i + 9];
      i += 10 + (lf & 0x80 ? 3 * (1 << ((lf & 7) + 1)) : 0) + 1;
      const whole = skipSubBlocks();
      return { width, height, bitDepth: 8, channels: 4, complete: whole };
    } else if (c === 0x3b) {
      return 'GIF without any frame';
    } else {
      return `corrupt GIF: unknown block 0x${c.toString(16)}`;
    }
  }
  return { width, height, bitDepth: 8, channels: 4, complete: false };
}

function parseBmp(b: Uint8Array): Parsed {
  const dataOffset = le32(b, 10);
  if (b.length < 26) return 'truncated BMP: no info header';
  const dib = le32(b, 14);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  if (dib === 12) {
    width = le16(b, 18);
    height = le16(b, 20);
    bpp = le16(b, 24);
  } else if (dib >= 40) {
    if (b.length < 34) return 'truncated BMP: no info header';
    width = le32(b, 18) | 0;
    height = le32(b, 22) | 0;
    bpp = le16(b, 28);
    compression = le32(b, 30);
  } else {
    return `corrupt BMP: unknown info header size ${dib}`;
  }
  height = Math.abs(height);
  if (width <= 0 || height === 0) return 'corrupt BMP: zero or negative width or height';
  const rowBytes = Math.floor((bpp * width + 31) / 32) * 4;
  const complete = compression === 0 || compression === 3 || compression === 6 ? dataOffset + rowBytes * height <= b.length : dataOffset < b.length;
  return { width, height, bitDepth: 8, channels: bpp === 32 ? 4 : 3, complete };
}

function parseWebp(b: Uint8Array): Parsed {
  const riffSize = le32(b, 4);
  const complete = b.length >= 8 + riffSize;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ') {
    if (b.length < 30 || b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return 'truncated or corrupt WebP (VP8) header';
    return { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff, bitDepth: 8, channels: 3, complete };
  }
  if (chunk === 'VP8L') {
    if (b.length < 25 || b[20] !== 0x2f) return 'truncated or corrupt WebP (VP8L) header';
    const bits = le32(b, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, bitDepth: 8, channels: 4, complete };
  }
  if (chunk === 'VP8X') {
    if (b.length < 30) return 'truncated WebP (VP8X) header';
    return { width: le24(b, 24) + 1, height: le24(b, 27) + 1, bitDepth: 8, channels: 4, complete };
  }
  return `corrupt WebP: unknown first chunk "${chunk}"`;
}

function parseTiff(b: Uint8Array): Parsed {
  const t = readTiffStructure(b, 0);
  if (!t) return 'corrupt TIFF header';
  const ifd = readIfd(b, t, t.ifd0);
  if (!ifd) return 'truncated TIFF: the first image directory lies past the end of the file';
  const width = entryValue(b, t, ifd.get(TAG.ImageWidth));
  const height = entryValue(b, t, ifd.get(TAG.ImageLength));
  if (!width || !height) return 'corrupt TIFF: no width or height';
  const bits = entryValue(b, t, ifd.get(TAG.BitsPerSample)) ?? 1;
  const channels = entryValue(b, t, ifd.get(TAG.SamplesPerPixel)) ?? 1;
  const offsetsEntry = ifd.get(TAG.StripOffsets) ?? ifd.get(TAG.TileOffsets);
  // tiff.ts checks the count against the image's size; this only keeps a crafted count from costing memory here.
  if (offsetsEntry && offsetsEntry.count > MAX_TIFF_BLOCKS) return `corrupt TIFF: ${offsetsEntry.count} strips or tiles declared`;
  const offsets = entryValues(b, t, offsetsEntry);
  const counts = entryValues(b, t, ifd.get(TAG.StripByteCounts) ?? ifd.get(TAG.TileByteCounts));
  let complete = offsets !== null;
  if (offsets && counts) {
    for (let k = 0; k < offsets.length; k++) if (offsets[k] + (counts[k] ?? 0) > b.length) complete = false;
  } else if (offsets) {
    for (const o of offsets) if (o >= b.length) complete = false;
  }
  return { width, height, bitDepth: bits, channels, complete };
}

/** Format and header of an image file, or why it is not one we can read. */
export function sniff(b: Uint8Array): SniffResult {
  const format = sniffFormat(b);
  if (!format) {
    const other = otherImageFormat(b);
    if (other) return { ok: false, code: 'UNSUPPORTED_FORMAT', message: `${other} images are not supported; convert them to PNG or JPEG` };
    return { ok: false, code: 'NOT_AN_IMAGE', message: 'not an image: no JPEG, PNG, BMP, GIF, WebP or TIFF signature' };
  }
  let parsed: Parsed;
  try {
    parsed =
      format === 'jpeg'
        ? parseJpeg(b)
        : format === 'png'
          ? parsePng(b)
          : format === 'gif'
            ? parseGif(b)
            : format === 'bmp'
              ? parseBmp(b)
              : format === 'webp'
                ? parseWebp(b)
                : parseTiff(b);
  } catch (e) {
    parsed = `unreadable ${format} header: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (typeof parsed === 'string') {
    if (parsed.startsWith('UNSUPPORTED:')) return { ok: false, code: 'UNSUPPORTED_FORMAT', message: parsed.slice(12), format };
    return { ok: false, code: 'DECODE_FAILED', message: parsed, format };
  }
  return { ok: true, format, header: { format, ...parsed } };
}
