/**
 * The pure-JS ImageDecoder used in Node (tests, benchmarks, scripts): JPEG through jpeg-js, PNG,
 * BMP and the first GIF frame by the bounded decoders beside this file (png.ts, bmp.ts, gif.ts),
 * TIFF through geotiff with bounded strip decoders (tiff.ts). WebP is refused with UNSUPPORTED_FORMAT: browsers decode it natively and no
 * pure-JS decoder is worth its weight here.
 *
 * Despite the name it uses no Node API (no fs, no Buffer), so a worker may fall back on it too.
 * It never applies EXIF orientation: jpeg-js and the others ignore it.
 */
import jpeg from 'jpeg-js';
import { decodeBmp } from './bmp';
import { decodeGif } from './gif';
import { decodePng } from './png';
import { decodeTiff } from './tiff';
import { DataError } from '../core/errors';
import type { ImageDecoder, ImageFormat, RawImage } from './types';

function decodeJpeg(bytes: Uint8Array): RawImage {
  // The import refuses oversized images from the header first; these limits only keep jpeg-js's
  // own (lower) defaults from refusing what the import allowed.
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 1000, maxMemoryUsageInMB: 2048 });
  return { width: img.width, height: img.height, data: img.data, sourceBitDepth: 8 };
}

export const nodeDecoder: ImageDecoder = {
  async decode(bytes: Uint8Array, format: ImageFormat): Promise<RawImage> {
    switch (format) {
      case 'jpeg':
        return decodeJpeg(bytes);
      case 'png':
        return decodePng(bytes);
      case 'bmp':
        return decodeBmp(bytes);
      case 'gif':
        return decodeGif(bytes);
      case 'tiff':
        return decodeTiff(bytes);
      case 'webp':
        throw new DataError('UNSUPPORTED_FORMAT', 'WebP is decoded by the browser; this decoder (Node) has none. Convert to PNG or import in the browser');
    }
  },
};
