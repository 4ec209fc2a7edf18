/**
 * A small TIFF writer for tests: strips, uncompressed, PackBits, LZW (TIFF's MSB-first variant
 * with its early code-width change) or Deflate (zlib through fflate), 1/3/4 samples at 8 or 16
 * bits, grey (either polarity), RGB, RGBA or palette, optional Orientation tag. Real files are
 * what the decoder is tested on; this only makes them in code.
 */
import { zlibSync } from 'fflate';

export type TiffCompression = 'none' | 'packbits' | 'lzw' | 'deflate';

export interface TiffSpec {
  width: number;
  height: number;
  /** Samples per pixel. */
  channels: 1 | 2 | 3 | 4;
  bits: 8 | 16;
  /** Interleaved samples, row-major. */
  data: Uint8Array | Uint16Array;
  compression: TiffCompression;
  /** 0 WhiteIsZero, 1 BlackIsZero, 2 RGB, 3 palette (default from channels). */
  photometric?: 0 | 1 | 2 | 3;
  /** 3 * 2^bits 16-bit entries (R all, then G, then B) for palette images. */
  colorMap?: Uint16Array;
  orientation?: number;
  rowsPerStrip?: number;
  bigEndian?: boolean;
}

const COMPRESSION_CODE: Record<TiffCompression, number> = { none: 1, lzw: 5, deflate: 8, packbits: 32773 };

export function packBits(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  const n = data.length;
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && data[i + run] === data[i]) run++;
    if (run >= 2) {
      out.push((257 - run) & 0xff, data[i]);
      i += run;
      continue;
    }
    let j = i;
    while (j < n && j - i < 128 && !(j + 1 < n && data[j] === data[j + 1])) j++;
    if (j === i) j = i + 1;
    out.push(j - i - 1);
    for (let k = i; k < j; k++) out.push(data[k]);
    i = j;
  }
  return Uint8Array.from(out);
}

export function lzwEncode(data: Uint8Array): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let nacc = 0;
  const write = (code: number, width: number) => {
    acc = (acc << width) | code;
    nacc += width;
    while (nacc >= 8) {
      bytes.push((acc >>> (nacc - 8)) & 0xff);
      nacc -= 8;
    }
    acc &= (1 << nacc) - 1;
  };
  let width = 9;
  let dict = new Map<number, number>();
  let next = 258;
  write(256, width);
  if (data.length === 0) {
    write(257, width);
  } else {
    let w = data[0];
    for (let i = 1; i < data.length; i++) {
      const k = data[i];
      const code = dict.get(w * 256 + k);
      if (code !== undefined) {
        w = code;
        continue;
      }
      write(w, width);
      dict.set(w * 256 + k, next++);
      // The decoder adds its entry one code later and widens when its table reaches 2^width - 1.
      if (next >= 1 << width && width < 12) width++;
      if (next >= 4000) {
        write(256, width);
        dict = new Map();
        next = 258;
        width = 9;
      }
      w = k;
    }
    write(w, width);
    if (next + 1 >= 1 << width && width < 12) width++;
    write(257, width);
  }
  if (nacc > 0) bytes.push((acc << (8 - nacc)) & 0xff);
  return Uint8Array.from(bytes);
}

function compress(raw: Uint8Array, c: TiffCompression): Uint8Array {
  switch (c) {
    case 'none':
      return raw;
    case 'packbits':
      return packBits(raw);
    case 'lzw':
      return lzwEncode(raw);
    case 'deflate':
      return zlibSync(raw);
  }
}

export function writeTiff(spec: TiffSpec): Uint8Array {
  const { width, height, channels, bits } = spec;
  const le = !spec.bigEndian;
  const photometric = spec.photometric ?? (channels >= 3 ? 2 : 1);
  const bytesPerSample = bits / 8;
  const rowBytes = width * channels * bytesPerSample;
  const rowsPerStrip = spec.rowsPerStrip ?? height;
  const strips: Uint8Array[] = [];
  for (let y0 = 0; y0 < height; y0 += rowsPerStrip) {
    const rows = Math.min(rowsPerStrip, height - y0);
    const raw = new Uint8Array(rows * rowBytes);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < rows * width * channels; i++) {
      const v = spec.data[y0 * width * channels + i];
      if (bits === 8) raw[i] = v;
      else dv.setUint16(i * 2, v, le);
    }
    strips.push(compress(raw, spec.compression));
  }
  type Entry = { tag: number; type: 3 | 4; values: number[] };
  const entries: Entry[] = [
    { tag: 256, type: 4, values: [width] },
    { tag: 257, type: 4, values: [height] },
    { tag: 258, type: 3, values: new Array(channels).fill(bits) },
    { tag: 259, type: 3, values: [COMPRESSION_CODE[spec.compression]] },
    { tag: 262, type: 3, values: [photometric] },
    { tag: 273, type: 4, values: [] },
    { tag: 277, type: 3, values: [channels] },
    { tag: 278, type: 4, values: [rowsPerStrip] },
    { tag: 279, type: 4, values: strips.map((s) => s.length) },
    { tag: 284, type: 3, values: [1] },
  ];
  if (spec.orientation) entries.push({ tag: 274, type: 3, values: [spec.orientation] });
  if (spec.colorMap) entries.push({ tag: 320, type: 3, values: Array.from(spec.colorMap) });
  if ((channels === 4 && photometric === 2) || (channels === 2 && photometric <= 1)) entries.push({ tag: 338, type: 3, values: [2] });
  entries.sort((a, b) => a.tag - b.tag);

  let offset = 8;
  const stripOffsets: number[] = [];
  for (const s of strips) {
    stripOffsets.push(offset);
    offset += s.length + (s.length & 1);
  }
  entries.find((e) => e.tag === 273)!.values = stripOffsets;
  const ifdAt = offset;
  const ifdSize = 2 + entries.length * 12 + 4;
  let extraAt = ifdAt + ifdSize;
  const size = (e: Entry) => e.values.length * (e.type === 3 ? 2 : 4);
  const total = extraAt + entries.reduce((a, e) => a + (size(e) > 4 ? size(e) + (size(e) & 1) : 0), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out[0] = out[1] = le ? 0x49 : 0x4d;
  dv.setUint16(2, 42, le);
  dv.setUint32(4, ifdAt, le);
  strips.forEach((s, i) => out.set(s, stripOffsets[i]));
  dv.setUint16(ifdAt, entries.length, le);
  entries.forEach((e, k) => {
    const at = ifdAt + 2 + k * 12;
    dv.setUint16(at, e.tag, le);
    dv.setUint16(at + 2, e.type, le);
    dv.setUint32(at + 4, e.values.length, le);
    const put = (base: number) => e.values.forEach((v, i) => (e.type === 3 ? dv.setUint16(base + i * 2, v, le) : dv.setUint32(base + i * 4, v, le)));
    if (size(e) <= 4) put(at + 8);
    else {
      dv.setUint32(at + 8, extraAt, le);
      put(extraAt);
      extraAt += size(e) + (size(e) & 1);
    }
  });
  dv.setUint32(ifdAt + 2 + entries.length * 12, 0, le);
  return out;
}
