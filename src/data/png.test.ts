import { encode } from 'fast-png';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { DataError } from '../core/errors';
import { decodePng } from './png';
import { pngChunk, pngFile } from './testing/hostile';

const px = (d: Uint8Array, p: number) => Array.from(d.subarray(p * 4, p * 4 + 4));
const px4 = px;

describe('decodePng', () => {
  it('RGB and RGBA 8-bit: exact values, unpremultiplied', () => {
    const rgb = encode({ width: 2, height: 1, data: Uint8Array.of(1, 2, 3, 250, 251, 252), channels: 3, depth: 8 });
    const a = decodePng(rgb);
    expect([px(a.data, 0), px(a.data, 1), a.sourceBitDepth]).toEqual([[1, 2, 3, 255], [250, 251, 252, 255], 8]);
    const rgba = encode({ width: 1, height: 1, data: Uint8Array.of(200, 100, 50, 7), channels: 4, depth: 8 });
    expect(px(decodePng(rgba).data, 0)).toEqual([200, 100, 50, 7]);
  });

  it('grey and grey+alpha', () => {
    expect(px(decodePng(encode({ width: 1, height: 1, data: Uint8Array.of(77), channels: 1, depth: 8 })).data, 0)).toEqual([77, 77, 77, 255]);
    expect(px(decodePng(encode({ width: 1, height: 1, data: Uint8Array.of(77, 9), channels: 2, depth: 8 })).data, 0)).toEqual([77, 77, 77, 9]);
  });

  it('16-bit reduced to 8 bits with rounding, source depth kept', () => {
    const v = Uint16Array.of(0, 65535, 128, 257 * 100 + 128, 257 * 100 + 129, 32896);
    const raw = decodePng(encode({ width: 2, height: 1, data: v, channels: 3, depth: 16 }));
    expect(raw.sourceBitDepth).toBe(16);
    expect([px(raw.data, 0), px(raw.data, 1)]).toEqual([
      [0, 255, 0, 255],
      [100, 101, 128, 255],
    ]);
    const grey = decodePng(encode({ width: 1, height: 1, data: Uint16Array.of(65535, 0), channels: 2, depth: 16 }));
    expect(px(grey.data, 0)).toEqual([255, 255, 255, 0]);
  });

  it('palette with tRNS alpha, and 1-bit grey unpacked and scaled', () => {
    const pal = encode({
      width: 3,
      height: 1,
      data: Uint8Array.of(0, 1, 2),
      channels: 1,
      depth: 8,
      palette: [
        [255, 0, 0, 128],
        [0, 255, 0, 255],
        [0, 0, 255, 255],
      ],
    });
    const raw = decodePng(pal);
    expect([px(raw.data, 0), px(raw.data, 1), px(raw.data, 2)]).toEqual([
      [255, 0, 0, 128],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
    ]);
    // 5 x 2, 1 bit: rows 10101, 01010 (padded to a byte each).
    const bits = encode({ width: 5, height: 2, data: Uint8Array.of(0b10101000, 0b01010000), channels: 1, depth: 1 });
    const b = decodePng(bits);
    expect(Array.from({ length: 10 }, (_, p) => b.data[p * 4])).toEqual([255, 0, 255, 0, 255, 0, 255, 0, 255, 0]);
  });
});

describe('decodePng: filters, interlacing and bounds', () => {
  /** Filter one row as the encoder would (type f, bytes per pixel bpp). */
  function filterRow(row: Uint8Array, prev: Uint8Array | null, f: number, bpp: number): Uint8Array {
    const out = new Uint8Array(row.length + 1);
    out[0] = f;
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c;
      const pred =
        f === 0
          ? 0
          : f === 1
            ? a
            : f === 2
              ? b
              : f === 3
                ? (a + b) >> 1
                : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
                  ? a
                  : Math.abs(p - b) <= Math.abs(p - c)
                    ? b
                    : c;
      out[i + 1] = (row[i] - pred) & 255;
    }
    return out;
  }

  /** A PNG of packed rows, every filter type in turn, optionally Adam7-interlaced. */
  function writePng(
    w: number,
    h: number,
    colorType: number,
    depth: number,
    px: (x: number, y: number) => number[],
    interlace: boolean,
    palette?: Uint8Array,
  ): Uint8Array {
    const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
    const bpp = Math.max(1, (channels * depth) >> 3);
    const passes = interlace
      ? [
          [0, 0, 8, 8],
          [4, 0, 8, 8],
          [0, 4, 4, 8],
          [2, 0, 4, 4],
          [0, 2, 2, 4],
          [1, 0, 2, 2],
          [0, 1, 1, 2],
        ]
      : [[0, 0, 1, 1]];
    const chunks: Uint8Array[] = [];
    let k = 0;
    for (const [x0, y0, dx, dy] of passes) {
      const pw = Math.ceil((w - x0) / dx);
      const ph = Math.ceil((h - y0) / dy);
      if (pw <= 0 || ph <= 0) continue;
      const rowBytes = Math.ceil((pw * channels * depth) / 8);
      let prev: Uint8Array | null = null;
      for (let py = 0; py < ph; py++) {
        const row = new Uint8Array(rowBytes);
        for (let qx = 0; qx < pw; qx++) {
          const s = px(x0 + qx * dx, y0 + py * dy);
          for (let c = 0; c < channels; c++) {
            const i = qx * channels + c;
            if (depth === 16) {
              row[i * 2] = s[c] >> 8;
              row[i * 2 + 1] = s[c] & 255;
            } else if (depth === 8) row[i] = s[c];
            else row[(i * depth) >> 3] |= s[c] << (8 - depth - ((i * depth) & 7));
          }
        }
        chunks.push(filterRow(row, prev, k++ % 5, bpp));
        prev = row;
      }
    }
    const idat = zlibSync(Uint8Array.from(chunks.flatMap((c) => Array.from(c))));
    return pngFile(
      w,
      h,
      [...(palette ? [pngChunk('PLTE', palette)] : []), pngChunk('IDAT', idat.subarray(0, 40)), pngChunk('IDAT', idat.subarray(40))],
      colorType,
      depth,
      interlace ? 1 : 0,
    );
  }

  const W = 13;
  const H = 11;
  for (const [colorType, depth] of [
    [0, 1],
    [0, 2],
    [0, 4],
    [0, 8],
    [0, 16],
    [2, 8],
    [2, 16],
    [3, 4],
    [3, 8],
    [4, 8],
    [6, 8],
    [6, 16],
  ] as const) {
    it(`colour type ${colorType}, ${depth}-bit: every filter, Adam7 equal to plain, values as written`, () => {
      const max = colorType === 3 ? 15 : 2 ** depth - 1; // palette indices within its 16 colours
      const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]!;
      const px = (x: number, y: number) => Array.from({ length: channels }, (_, c) => (x * 7 + y * 13 + c * 5 + x * y) % (max + 1));
      const palette = colorType === 3 ? Uint8Array.from({ length: 16 * 3 }, (_, i) => (i * 17) & 255) : undefined;
      const plain = decodePng(writePng(W, H, colorType, depth, px, false, palette));
      const adam7 = decodePng(writePng(W, H, colorType, depth, px, true, palette));
      expect(Array.from(adam7.data)).toEqual(Array.from(plain.data));
      const to8 = (v: number) => (depth === 16 ? ((v * 255 + 32767) / 65535) | 0 : Math.round((v * 255) / (2 ** depth - 1)));
      for (const [x, y] of [
        [0, 0],
        [12, 10],
        [5, 7],
      ]) {
        const s = px(x, y);
        const want =
          colorType === 3
            ? [palette![s[0] * 3], palette![s[0] * 3 + 1], palette![s[0] * 3 + 2], 255]
            : channels <= 2
              ? [to8(s[0]), to8(s[0]), to8(s[0]), channels === 2 ? to8(s[1]) : 255]
              : [to8(s[0]), to8(s[1]), to8(s[2]), channels === 4 ? to8(s[3]) : 255];
        expect(px4(plain.data, y * W + x)).toEqual(want);
      }
    });
  }

  it('refuses data beyond the declared size, short data, bad checksums and lying headers', () => {
    const code = (b: Uint8Array) => {
      try {
        decodePng(b);
        return 'ok';
      } catch (e) {
        return (e as DataError).code + ': ' + (e as Error).message;
      }
    };
    const rows = new Uint8Array(4 * (1 + 12));
    expect(code(pngFile(4, 4, [pngChunk('IDAT', zlibSync(rows))]))).toBe('ok');
    expect(code(pngFile(4, 4, [pngChunk('IDAT', zlibSync(new Uint8Array(4 * 13 + 1)))]))).toMatch(/^DECODE_FAILED: .*more data than the header declares/);
    expect(code(pngFile(4, 4, [pngChunk('IDAT', zlibSync(new Uint8Array(4 * 13 - 1)))]))).toMatch(/^DECODE_FAILED: truncated PNG/);
    const bad = pngFile(4, 4, [pngChunk('IDAT', zlibSync(rows))]);
    bad[20] ^= 1; // inside IHDR
    expect(code(bad)).toMatch(/^DECODE_FAILED: .*checksum in the IHDR/);
    expect(code(pngFile(20000, 20000, [pngChunk('IDAT', zlibSync(rows))]))).toMatch(/more than its \d+ compressed bytes can hold/);
    expect(code(pngFile(4, 4, [pngChunk('IDAT', zlibSync(rows))], 2, 4))).toMatch(/bit depth 4 is not allowed/);
  });
});
