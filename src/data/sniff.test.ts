import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { sniff, sniffFormat } from './sniff';
import { draw, encodeGif, encodeJpeg, encodePng } from './testing/fixtures';
import { writeBmp } from './testing/bmpWriter';
import { writeTiff } from './testing/tiffWriter';

function webp(chunk: 'VP8 ' | 'VP8L' | 'VP8X', w: number, h: number): Uint8Array {
  const b = new Uint8Array(40);
  const dv = new DataView(b.buffer);
  b.set(
    [...'RIFF'].map((c) => c.charCodeAt(0)),
    0,
  );
  dv.setUint32(4, 32, true);
  b.set(
    [...'WEBP'].map((c) => c.charCodeAt(0)),
    8,
  );
  b.set(
    [...chunk].map((c) => c.charCodeAt(0)),
    12,
  );
  dv.setUint32(16, 20, true);
  if (chunk === 'VP8 ') {
    b.set([0x9d, 0x01, 0x2a], 23);
    dv.setUint16(26, w, true);
    dv.setUint16(28, h, true);
  } else if (chunk === 'VP8L') {
    b[20] = 0x2f;
    dv.setUint32(21, (w - 1) | ((h - 1) << 14), true);
  } else {
    b[24] = (w - 1) & 0xff;
    b[25] = ((w - 1) >> 8) & 0xff;
    b[27] = (h - 1) & 0xff;
    b[28] = ((h - 1) >> 8) & 0xff;
  }
  return b;
}

describe('sniff', () => {
  const img = draw(31, 17, (x, y) => [x * 8, y * 15, 99]);

  it('reads format, size and depth from headers of every format, not from names', () => {
    const cases: [Uint8Array, string, number, number, number][] = [
      [encodeJpeg(img), 'jpeg', 31, 17, 8],
      [encodePng(img), 'png', 31, 17, 8],
      [encode({ width: 3, height: 2, data: new Uint16Array(6), channels: 1, depth: 16 }), 'png', 3, 2, 16],
      [encodeGif(4, 3, new Array(12).fill(0), [0, 0xffffff]), 'gif', 4, 3, 8],
      [writeBmp({ width: 31, height: 17, rgba: img.data, bpp: 24 }), 'bmp', 31, 17, 8],
      [writeBmp({ width: 31, height: 17, rgba: img.data, bpp: 32, topDown: true }), 'bmp', 31, 17, 8],
      [writeTiff({ width: 31, height: 17, channels: 3, bits: 16, data: new Uint16Array(31 * 17 * 3), compression: 'lzw' }), 'tiff', 31, 17, 16],
      [webp('VP8 ', 640, 480), 'webp', 640, 480, 8],
      [webp('VP8L', 1000, 3000), 'webp', 1000, 3000, 8],
      [webp('VP8X', 5000, 7000), 'webp', 5000, 7000, 8],
    ];
    for (const [bytes, format, w, h, depth] of cases) {
      const s = sniff(bytes);
      expect(s.ok, format).toBe(true);
      if (!s.ok) continue;
      expect([s.header.format, s.header.width, s.header.height, s.header.bitDepth], format).toEqual([format, w, h, depth]);
      expect(sniffFormat(bytes)).toBe(format);
    }
    const p = sniff(
      encode({
        width: 2,
        height: 1,
        data: Uint8Array.of(0, 1),
        channels: 1,
        depth: 8,
        palette: [
          [0, 0, 0],
          [255, 255, 255],
        ],
      }),
    );
    expect(p.ok && p.header.pngColorType).toBe(3);
  });

  it('sees truncation of JPEG, PNG, GIF, BMP and TIFF files from their structure', () => {
    const files = [
      encodeJpeg(img),
      encodePng(img),
      encodeGif(
        40,
        30,
        Array.from({ length: 1200 }, (_, i) => (i * 7) % 2),
        [0, 0xffffff],
      ),
      writeBmp({ width: 31, height: 17, rgba: img.data, bpp: 24 }),
      writeTiff({ width: 31, height: 17, channels: 3, bits: 8, data: new Uint8Array(31 * 17 * 3), compression: 'none' }).subarray(0),
    ];
    for (const f of files) {
      const whole = sniff(f);
      expect(whole.ok && whole.header.complete).toBe(true);
    }
    for (const f of files.slice(0, 4)) {
      const cut = sniff(f.subarray(0, Math.floor(f.length * 0.8)));
      expect(cut.ok ? cut.header.complete : cut.code).not.toBe(true);
    }
    // The TIFF writer puts the directory after the strips: cutting the file loses the directory.
    const tiff = files[4];
    const cut = sniff(tiff.subarray(0, tiff.length - 40));
    expect(cut.ok ? cut.header.complete : cut.code).toBe('DECODE_FAILED');
    // A JPEG cut before its frame header is not readable at all.
    const head = sniff(files[0].subarray(0, 30));
    expect(head.ok ? 'ok' : head.code).toBe('DECODE_FAILED');
  });

  it('text is not an image; DICOM and HEIC are named as unsupported', () => {
    const text = new TextEncoder().encode('# README\nThis folder holds images.\n');
    expect(sniff(text)).toMatchObject({ ok: false, code: 'NOT_AN_IMAGE' });
    const dicom = new Uint8Array(200);
    dicom.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(sniff(dicom)).toMatchObject({ ok: false, code: 'UNSUPPORTED_FORMAT' });
    const heic = new Uint8Array(32);
    heic.set(
      [...'ftypheic'].map((c) => c.charCodeAt(0)),
      4,
    );
    expect(sniff(heic)).toMatchObject({ ok: false, code: 'UNSUPPORTED_FORMAT' });
  });
});
