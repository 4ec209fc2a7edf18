import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodePng } from './png';

const px = (d: Uint8Array, p: number) => Array.from(d.subarray(p * 4, p * 4 + 4));

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
