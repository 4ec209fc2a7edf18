/**
 * Test fixtures made in code: images drawn by functions, encoded with real encoders (jpeg-js,
 * fast-png, omggif, and the TIFF and BMP writers beside this file), EXIF segments written into
 * JPEGs, in-memory InputFiles, and seeded shuffles of listings.
 */
import jpeg from 'jpeg-js';
import { encode as encodePngRaw } from 'fast-png';
import { GifWriter } from 'omggif';
import { Rng } from '../../core/rng';
import type { InputFile } from '../types';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An RGBA image drawn by `f(x, y)` -> [r, g, b] or [r, g, b, a]. */
export function draw(width: number, height: number, f: (x: number, y: number) => readonly number[]): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = f(x, y);
      const d = (y * width + x) * 4;
      data[d] = v[0];
      data[d + 1] = v[1];
      data[d + 2] = v[2];
      data[d + 3] = v.length > 3 ? v[3] : 255;
    }
  }
  return { width, height, data };
}

export function encodeJpeg(img: Rgba, quality = 92): Uint8Array {
  return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: img.data }, quality).data);
}

/** 8-bit RGBA PNG (or RGB when `rgb`). */
export function encodePng(img: Rgba, rgb = false): Uint8Array {
  if (!rgb) return encodePngRaw({ width: img.width, height: img.height, data: img.data, channels: 4, depth: 8 });
  const data = new Uint8Array(img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p++) data.set(img.data.subarray(p * 4, p * 4 + 3), p * 3);
  return encodePngRaw({ width: img.width, height: img.height, data, channels: 3, depth: 8 });
}

/** A grey PNG mask: 255 where `inside(x, y)`. */
export function maskPng(width: number, height: number, inside: (x: number, y: number) => boolean): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 255 : 0;
  return encodePngRaw({ width, height, data, channels: 1, depth: 8 });
}

export function encodeGif(width: number, height: number, indices: number[], palette: number[]): Uint8Array {
  const buf = new Uint8Array(width * height * 2 + 1024);
  const w = new GifWriter(buf, width, height, { palette });
  w.addFrame(0, 0, width, height, indices);
  return buf.slice(0, w.end());
}

/** An APP1 EXIF segment holding only IFD0 Orientation. */
export function exifSegment(orientation: number, bigEndian = true): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const dv = new DataView(tiff.buffer);
  const le = !bigEndian;
  tiff[0] = tiff[1] = bigEndian ? 0x4d : 0x49;
  dv.setUint16(2, 42, le);
  dv.setUint32(4, 8, le);
  dv.setUint16(8, 1, le);
  dv.setUint16(10, 0x0112, le);
  dv.setUint16(12, 3, le);
  dv.setUint32(14, 1, le);
  dv.setUint16(18, orientation, le);
  dv.setUint32(22, 0, le);
  const payload = new Uint8Array(6 + tiff.length);
  payload.set([0x45, 0x78, 0x69, 0x66, 0, 0]);
  payload.set(tiff, 6);
  const seg = new Uint8Array(4 + payload.length);
  seg[0] = 0xff;
  seg[1] = 0xe1;
  seg[2] = (payload.length + 2) >> 8;
  seg[3] = (payload.length + 2) & 0xff;
  seg.set(payload, 4);
  return seg;
}

/** The JPEG with an EXIF Orientation segment right after SOI. */
export function withOrientation(jpegBytes: Uint8Array, orientation: number, bigEndian = true): Uint8Array {
  const seg = exifSegment(orientation, bigEndian);
  const out = new Uint8Array(jpegBytes.length + seg.length);
  out.set(jpegBytes.subarray(0, 2));
  out.set(seg, 2);
  out.set(jpegBytes.subarray(2), 2 + seg.length);
  return out;
}

/** An in-memory file; `reads` counts how often it was read. */
export function memFile(path: string, bytes: Uint8Array | string): InputFile & { reads: number } {
  const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const f = {
    path,
    size: b.length,
    reads: 0,
    async read() {
      f.reads++;
      return b;
    },
  };
  return f;
}

export function shuffled<T>(items: readonly T[], seed = 99): T[] {
  return new Rng(seed).shuffled(items);
}
