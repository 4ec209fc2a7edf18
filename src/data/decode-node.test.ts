import { describe, expect, it } from 'vitest';
import { nodeDecoder } from './decode-node';
import { draw, encodeGif, encodeJpeg, encodePng } from './testing/fixtures';
import { writeBmp } from './testing/bmpWriter';
import { writeTiff } from './testing/tiffWriter';
import { isDataError } from '../core/errors';

describe('nodeDecoder', () => {
  const img = draw(16, 12, (x, y) => [x * 15, y * 20, 128]);

  it('JPEG: RGBA of the right size, close to the encoded pixels', async () => {
    const raw = await nodeDecoder.decode(encodeJpeg(img, 95), 'jpeg');
    expect([raw.width, raw.height, raw.data.length, raw.sourceBitDepth]).toEqual([16, 12, 16 * 12 * 4, 8]);
    let err = 0;
    for (let i = 0; i < raw.data.length; i++) if (i % 4 !== 3) err = Math.max(err, Math.abs(raw.data[i] - img.data[i]));
    expect(err).toBeLessThan(20);
  });

  it('PNG, BMP and TIFF: exact pixels', async () => {
    for (const [bytes, format] of [
      [encodePng(img), 'png'],
      [writeBmp({ width: 16, height: 12, rgba: img.data, bpp: 32 }), 'bmp'],
      [writeTiff({ width: 16, height: 12, channels: 4, bits: 8, data: img.data, compression: 'deflate' }), 'tiff'],
    ] as const) {
      const raw = await nodeDecoder.decode(bytes, format);
      expect(Array.from(raw.data), format).toEqual(Array.from(img.data));
    }
  });

  it('GIF: first frame through the palette', async () => {
    const raw = await nodeDecoder.decode(encodeGif(2, 2, [0, 1, 1, 0], [0xff0000, 0x00ff00]), 'gif');
    expect(Array.from(raw.data)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 255, 0, 0, 255]);
  });

  it('WebP: UNSUPPORTED_FORMAT (browsers decode it natively)', async () => {
    const e = await nodeDecoder.decode(new Uint8Array(30), 'webp').catch((x: unknown) => x);
    expect(isDataError(e) && e.code).toBe('UNSUPPORTED_FORMAT');
  });
});
