/**
 * Reading TIFF image file directories: the structure of a TIFF file's header and of the EXIF block
 * inside JPEG, PNG and WebP files. Only what the header sniffer and the orientation reader need
 * (classic TIFF, not BigTIFF); bounds are checked so a truncated or hostile file yields null.
 */

export interface TiffStructure {
  /** Offset of the TIFF header ('II*\0' or 'MM\0*') in the bytes; IFD offsets are relative to it. */
  start: number;
  little: boolean;
  ifd0: number;
}

export interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Absolute offset of the value bytes (inline in the entry when they fit in 4 bytes). */
  valueAt: number;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

export function u16(b: Uint8Array, at: number, little: boolean): number {
  return little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
}

export function u32(b: Uint8Array, at: number, little: boolean): number {
  return little
    ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** The TIFF header at `start`, or null. BigTIFF (magic 43) is not read here. */
export function readTiffStructure(b: Uint8Array, start = 0): TiffStructure | null {
  if (start + 8 > b.length) return null;
  const order = (b[start] << 8) | b[start + 1];
  const little = order === 0x4949;
  if (!little && order !== 0x4d4d) return null;
  if (u16(b, start + 2, little) !== 42) return null;
  return { start, little, ifd0: u32(b, start + 4, little) };
}

/** The entries of the IFD at relative offset `ifd`, by tag; null when it lies outside the bytes. */
export function readIfd(b: Uint8Array, t: TiffStructure, ifd: number): Map<number, IfdEntry> | null {
  const at = t.start + ifd;
  if (ifd < 8 || at + 2 > b.length) return null;
  const n = u16(b, at, t.little);
  if (at + 2 + n * 12 > b.length) return null;
  const out = new Map<number, IfdEntry>();
  for (let i = 0; i < n; i++) {
    const e = at + 2 + i * 12;
    const tag = u16(b, e, t.little);
    const type = u16(b, e + 2, t.little);
    const count = u32(b, e + 4, t.little);
    const size = (TYPE_SIZE[type] ?? 1) * count;
    const valueAt = size <= 4 ? e + 8 : t.start + u32(b, e + 8, t.little);
    out.set(tag, { tag, type, count, valueAt });
  }
  return out;
}

/** The numeric values of an entry (BYTE, SHORT, LONG), or null when they lie outside the bytes. */
export function entryValues(b: Uint8Array, t: TiffStructure, e: IfdEntry | undefined, max = Infinity): number[] | null {
  if (!e) return null;
  const size = e.type === 3 ? 2 : e.type === 4 || e.type === 9 ? 4 : e.type === 1 || e.type === 6 || e.type === 7 ? 1 : 0;
  if (size === 0) return null;
  const n = Math.min(e.count, max);
  if (e.valueAt + n * size > b.length) return null;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const at = e.valueAt + i * size;
    out[i] = size === 1 ? b[at] : size === 2 ? u16(b, at, t.little) : u32(b, at, t.little);
  }
  return out;
}

export function entryValue(b: Uint8Array, t: TiffStructure, e: IfdEntry | undefined): number | null {
  const v = entryValues(b, t, e, 1);
  return v && v.length ? v[0] : null;
}

export const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  StripOffsets: 273,
  Orientation: 274,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  Predictor: 317,
  ColorMap: 320,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
} as const;
