import { describe, expect, it } from 'vitest';
import { nodeDecoder } from './decode-node';
import { loadForNetwork, loadImage } from './load';
import { draw, encodeJpeg, encodePng, memFile, withOrientation } from './testing/fixtures';

describe('loadImage / loadForNetwork', () => {
  const jpeg = encodeJpeg(
    draw(30, 10, (x) => (x < 10 ? [250, 0, 0] : [0, 0, 250])),
    95,
  );

  it('orientation is read, not applied by the decoder, and applied for the network', async () => {
    const l = await loadImage(memFile('a.jpg', withOrientation(jpeg, 6)), nodeDecoder);
    expect('raw' in l && [l.orientation, l.raw.width, l.raw.height]).toEqual([6, 30, 10]);
    const n = await loadForNetwork(memFile('a.jpg', withOrientation(jpeg, 6)), nodeDecoder, { inputSize: 6 });
    if (!n.ok) throw new Error(n.message);
    expect([n.width, n.height]).toEqual([10, 30]);
    // Turned clockwise: the red left third of the stored image is now the top third.
    expect([n.rgb[0] > 200, n.rgb[5 * 6 * 3 + 2] > 200]).toEqual([true, true]);
  });

  it('content decides the format; failures come back as codes', async () => {
    const png = await loadImage(memFile('x.jpg', encodePng(draw(2, 2, () => [1, 2, 3]))), nodeDecoder);
    expect('warnings' in png && png.warnings.map((w) => w.code)).toEqual(['EXTENSION_MISMATCH']);
    expect(await loadImage(memFile('e.png', new Uint8Array(0)), nodeDecoder)).toMatchObject({ code: 'EMPTY_FILE' });
    expect(await loadImage(memFile('big.jpg', jpeg), nodeDecoder, 100)).toMatchObject({ code: 'TOO_LARGE' });
    const failing = { path: 'gone.jpg', size: 10, read: () => Promise.reject(new Error('NotFoundError')) };
    expect(await loadImage(failing, nodeDecoder)).toMatchObject({ code: 'READ_FAILED' });
  });
});
