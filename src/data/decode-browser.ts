/**
 * The ImageDecoder used in the browser (inside a worker): JPEG, BMP and WebP through the
 * browser's own decoders (createImageBitmap, then an OffscreenCanvas read-back), with
 * `premultiplyAlpha: 'none'` and `colorSpaceConversion: 'none'` so stored values come back
 * unchanged; PNG and the first GIF frame through the bounded decoders of png.ts and gif.ts (exact
 * 16-bit reduction, identical to Node, and never more memory than the header declares); TIFF
 * through geotiff with bounded strip decoders, as browsers cannot decode it. The import hands over bytes whose EXIF orientation is reset, and
 * asks the browser not to rotate either, so orientation is applied exactly once, by the import.
 */
import { decodeGif } from './gif';
import { decodePng } from './png';
import { decodeTiff } from './tiff';
import type { ImageDecoder, ImageFormat, RawImage } from './types';

async function decodeNative(bytes: Uint8Array, format: ImageFormat): Promise<RawImage> {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: `image/${format}` });
  const bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none', imageOrientation: 'none' } as ImageBitmapOptions);
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D context on OffscreenCanvas');
    ctx.drawImage(bitmap, 0, 0);
    const img = ctx.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' });
    return { width: bitmap.width, height: bitmap.height, data: new Uint8Array(img.data.buffer), sourceBitDepth: 8 };
  } finally {
    bitmap.close();
  }
}

export const browserDecoder: ImageDecoder = {
  async decode(bytes: Uint8Array, format: ImageFormat): Promise<RawImage> {
    if (format === 'tiff') return decodeTiff(bytes);
    if (format === 'png') return decodePng(bytes);
    if (format === 'gif') return decodeGif(bytes);
    return decodeNative(bytes, format);
  },
};
