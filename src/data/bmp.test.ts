import { describe, expect, it } from 'vitest';
import { decodeBmp } from './bmp';
import { draw } from './testing/fixtures';
import { writeBmp } from './testing/bmpWriter';

describe('decodeBmp', () => {
  // Odd width: 24-bit rows are padded to 4 bytes.
  const img = draw(5, 3, (x, y) => [x * 50, y * 100, (x + y) * 20, 255]);
  for (const bpp of [24, 32] as const) {
    for (const topDown of [false, true]) {
      it(`${bpp}-bit, ${topDown ? 'top-down' : 'bottom-up'}: exact pixels`, () => {
        const raw = decodeBmp(writeBmp({ width: 5, height: 3, rgba: img.data, bpp, topDown }));
        expect([raw.width, raw.height]).toEqual([5, 3]);
        expect(Array.from(raw.data)).toEqual(Array.from(img.data));
      });
    }
  }
  it('refuses rows that end past the file', () => {
    const b = writeBmp({ width: 5, height: 3, rgba: img.data, bpp: 24 });
    expect(() => decodeBmp(b.subarray(0, b.length - 10))).toThrow(/truncated/);
  });
});
