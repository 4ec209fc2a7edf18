import { describe, expect, it } from 'vitest';
import { decodeTiff } from './tiff';
import { lzwEncode, writeTiff, type TiffCompression } from './testing/tiffWriter';

const W = 37;
const H = 23;
const COMPRESSIONS: TiffCompression[] = ['none', 'packbits', 'lzw', 'deflate'];

function samples(channels: number, bits: 8 | 16): Uint8Array | Uint16Array {
  const n = W * H * channels;
  const a = bits === 8 ? new Uint8Array(n) : new Uint16Array(n);
  const max = bits === 8 ? 255 : 65535;
  for (let i = 0; i < n; i++) {
    // Runs (for PackBits and LZW to compress) mixed with noise-like values.
    const p = Math.floor(i / channels);
    a[i] = p % 7 < 3 ? (i % channels) * 40 : ((i * 2654435761) >>> 0) % (max + 1);
  }
  return a;
}

const to8 = (v: number) => Math.round(v / 257);

describe('decodeTiff', () => {
  for (const compression of COMPRESSIONS) {
    for (const [channels, bits] of [
      [3, 8],
      [1, 8],
      [3, 16],
      [1, 16],
      [4, 8],
    ] as const) {
      it(`${compression}: ${channels === 1 ? 'grey' : channels === 3 ? 'RGB' : 'RGBA'} ${bits}-bit, exact values`, async () => {
        const data = samples(channels, bits);
        const bytes = writeTiff({ width: W, height: H, channels, bits, data, compression, rowsPerStrip: 5 });
        const raw = await decodeTiff(bytes);
        expect([raw.width, raw.height, raw.sourceBitDepth]).toEqual([W, H, bits]);
        for (let p = 0; p < W * H; p++) {
          const s = (c: number) => (bits === 8 ? data[p * channels + c] : to8(data[p * channels + c]));
          const want = channels === 1 ? [s(0), s(0), s(0), 255] : [s(0), s(1), s(2), channels === 4 ? s(3) : 255];
          const got = Array.from(raw.data.subarray(p * 4, p * 4 + 4));
          if (got.some((v, k) => v !== want[k])) expect({ p, got }).toEqual({ p, got: want });
        }
      });
    }
  }

  it('reads big-endian files, WhiteIsZero grey and palette images', async () => {
    const grey = Uint8Array.from({ length: W * H }, (_, i) => i % 256);
    const be = await decodeTiff(writeTiff({ width: W, height: H, channels: 1, bits: 8, data: grey, compression: 'lzw', bigEndian: true }));
    expect(be.data[4 * 100]).toBe(100);
    const inv = await decodeTiff(writeTiff({ width: W, height: H, channels: 1, bits: 8, data: grey, compression: 'none', photometric: 0 }));
    expect(inv.data[4 * 100]).toBe(155);
    const colorMap = new Uint16Array(3 * 256);
    colorMap[5] = 65535; // red of index 5
    colorMap[256 + 5] = 257 * 10;
    const pal = await decodeTiff(
      writeTiff({ width: 2, height: 1, channels: 1, bits: 8, data: Uint8Array.of(5, 0), compression: 'none', photometric: 3, colorMap }),
    );
    expect(Array.from(pal.data.subarray(0, 8))).toEqual([255, 10, 0, 255, 0, 0, 0, 255]);
  });

  it('LZW encoder round-trips long inputs (code widths 9 to 12 and a table reset)', async () => {
    const n = 200 * 150;
    const data = Uint8Array.from({ length: n }, (_, i) => ((i * 7919) ^ (i >> 3)) & 0xff);
    const bytes = writeTiff({ width: 200, height: 150, channels: 1, bits: 8, data, compression: 'lzw' });
    const raw = await decodeTiff(bytes);
    for (let i = 0; i < n; i++) if (raw.data[i * 4] !== data[i]) expect([i, raw.data[i * 4]]).toEqual([i, data[i]]);
    expect(lzwEncode(new Uint8Array(0)).length).toBeGreaterThan(0);
  });
});
