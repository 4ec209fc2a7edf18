import { GifWriter } from 'omggif';
import { describe, expect, it } from 'vitest';
import { decodeGif } from './gif';
import type { DataError } from '../core/errors';

/** GIF LZW of `indices` as literal codes only (valid for any decoder that follows the format). */
function literalLzw(indices: number[], minCodeSize = 2): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let n = 0;
  const put = (code: number, width: number) => {
    acc |= code << n;
    n += width;
    while (n >= 8) {
      bytes.push(acc & 255);
      acc >>>= 8;
      n -= 8;
    }
  };
  const clear = 1 << minCodeSize;
  let size = minCodeSize + 1;
  let next = clear + 2;
  put(clear, size);
  indices.forEach((v, i) => {
    put(v, size);
    if (i > 0) next++;
    if (next >= 1 << size && size < 12) size++;
  });
  put(clear + 1, size);
  if (n) bytes.push(acc & 255);
  return Uint8Array.from(bytes);
}

function gif(w: number, h: number, frame: { x: number; y: number; w: number; h: number; interlaced?: boolean; lzw: Uint8Array }): Uint8Array {
  const out = [...'GIF89a'].map((c) => c.charCodeAt(0));
  out.push(w & 255, w >> 8, h & 255, h >> 8, 0x81, 0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120);
  out.push(0x2c, frame.x, 0, frame.y, 0, frame.w, 0, frame.h, 0, frame.interlaced ? 0x40 : 0, 2);
  for (let i = 0; i < frame.lzw.length; i += 255) out.push(Math.min(255, frame.lzw.length - i), ...frame.lzw.subarray(i, i + 255));
  out.push(0, 0x3b);
  return Uint8Array.from(out);
}

const px = (d: Uint8Array, p: number) => Array.from(d.subarray(p * 4, p * 4 + 4));

describe('decodeGif', () => {
  it('interlaced rows land in order; pixels outside the frame are transparent', () => {
    // A 1 x 5 interlaced frame sends rows 0, 4, 2, 1, 3.
    const raw = decodeGif(gif(2, 5, { x: 1, y: 0, w: 1, h: 5, interlaced: true, lzw: literalLzw([0, 3, 1, 2, 1]) }));
    const colours = [0, 1, 2, 3, 4].map((y) => px(raw.data, y * 2 + 1));
    // Palette: 0 -> (10,20,30), 1 -> (40,50,60), 2 -> (70,80,90), 3 -> (100,110,120).
    expect(colours).toEqual([
      [10, 20, 30, 255],
      [70, 80, 90, 255],
      [40, 50, 60, 255],
      [40, 50, 60, 255],
      [100, 110, 120, 255],
    ]);
    expect(px(raw.data, 0)).toEqual([0, 0, 0, 0]);
  });

  it('the transparent index and a local palette, as omggif writes them', () => {
    const buf = new Uint8Array(1024);
    const w = new GifWriter(buf, 2, 1, { palette: [0xff0000, 0x00ff00] });
    w.addFrame(0, 0, 2, 1, [0, 1], { transparent: 1, palette: [0x0000ff, 0xffffff] });
    const raw = decodeGif(buf.slice(0, w.end()));
    expect([px(raw.data, 0), px(raw.data, 1)]).toEqual([
      [0, 0, 255, 255],
      [0, 0, 0, 0],
    ]);
  });

  it('stops at the frame size: more data, or a frame outside the screen, is DECODE_FAILED', () => {
    const fail = (b: Uint8Array) => {
      try {
        decodeGif(b);
        return 'ok';
      } catch (e) {
        return `${(e as DataError).code}: ${(e as Error).message}`;
      }
    };
    expect(fail(gif(2, 2, { x: 0, y: 0, w: 2, h: 2, lzw: literalLzw([0, 1, 2, 3]) }))).toBe('ok');
    expect(fail(gif(2, 2, { x: 0, y: 0, w: 2, h: 2, lzw: literalLzw([0, 1, 2, 3, 0]) }))).toMatch(/^DECODE_FAILED: .*more data than the header declares/);
    expect(fail(gif(2, 2, { x: 1, y: 0, w: 2, h: 2, lzw: literalLzw([0, 1, 2, 3]) }))).toMatch(/^DECODE_FAILED: .*outside the 2 x 2 screen/);
  });
});
