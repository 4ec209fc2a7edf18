/**
 * TIFF decoding through geotiff (uncompressed, PackBits, LZW, Deflate, with predictors), shared by
 * the Node decoder and the browser decoder (browsers other than Safari cannot decode TIFF). Grey
 * (either polarity), grey+alpha, RGB, RGBA and palette images at 1 to 16 bits per sample become
 * 8-bit RGBA; other photometric interpretations go through geotiff's RGB conversion.
 *
 * Orientation is not applied here (exif.ts reads TIFF's Orientation tag). No DOM, no Node: geotiff
 * runs in workers, and its per-compression decoders are loaded on first use.
 */
import { fromArrayBuffer } from 'geotiff';
import { DataError } from '../core/errors';
import type { RawImage } from './types';

type Samples = ArrayLike<number>;

function to8(bits: number): (v: number) => number {
  if (bits === 8) return (v) => v;
  if (bits === 16) return (v) => ((v * 255 + 32767) / 65535) | 0;
  const max = 2 ** bits - 1;
  return (v) => Math.round((Math.min(v, max) * 255) / max);
}

/** Decode the first image of a TIFF file into 8-bit RGBA. */
export async function decodeTiff(bytes: Uint8Array): Promise<RawImage> {
  // geotiff takes an ArrayBuffer of exactly the file.
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tiff = await fromArrayBuffer(ab);
  const image = await tiff.getImage(0);
  const width = image.getWidth();
  const height = image.getHeight();
  const spp = image.getSamplesPerPixel();
  const bits = image.getBitsPerSample(0);
  const fd = image.getFileDirectory();
  const sampleFormat = image.getSampleFormat(0);
  const photometric = Number((await fd.loadValue('PhotometricInterpretation')) ?? (spp >= 3 ? 2 : 1));
  if (sampleFormat === 3) {
    throw new DataError('UNSUPPORTED_FORMAT', `floating-point TIFF (${bits}-bit samples) is not supported; export 8- or 16-bit integers`);
  }
  if (bits > 16) {
    throw new DataError('UNSUPPORTED_FORMAT', `${bits}-bit TIFF samples are not supported; export 8- or 16-bit`);
  }
  const n = width * height;
  const out = new Uint8Array(n * 4);
  const conv = to8(bits);

  if (photometric === 0 || photometric === 1 || photometric === 2 || photometric === 3) {
    const r = (await image.readRasters({ interleave: true })) as unknown as Samples;
    const extra = (await fd.loadValue('ExtraSamples')) as ArrayLike<number> | number | undefined;
    const firstExtra = extra === undefined ? undefined : typeof extra === 'number' ? extra : extra[0];
    const colour = photometric === 2 ? 3 : 1;
    const hasAlpha = spp > colour;
    // ExtraSamples 1 is associated (premultiplied) alpha: undo it so the output is unpremultiplied.
    const premultiplied = hasAlpha && firstExtra === 1;
    const max = 2 ** bits - 1;
    let palette: ArrayLike<number> | null = null;
    if (photometric === 3) {
      palette = (await fd.loadValue('ColorMap')) as ArrayLike<number> | null;
      if (!palette) throw new DataError('DECODE_FAILED', 'palette TIFF without a colour map');
    }
    const third = palette ? palette.length / 3 : 0;
    for (let p = 0; p < n; p++) {
      const s = p * spp;
      const d = p * 4;
      const a = hasAlpha ? conv(r[s + colour]) : 255;
      let R: number, G: number, B: number;
      if (palette) {
        const i = r[s];
        R = ((palette[i] * 255 + 32767) / 65535) | 0;
        G = ((palette[third + i] * 255 + 32767) / 65535) | 0;
        B = ((palette[2 * third + i] * 255 + 32767) / 65535) | 0;
      } else if (colour === 3) {
        R = conv(r[s]);
        G = conv(r[s + 1]);
        B = conv(r[s + 2]);
      } else {
        const v = conv(photometric === 0 ? max - r[s] : r[s]);
        R = G = B = v;
      }
      if (premultiplied && a > 0 && a < 255) {
        R = Math.min(255, Math.round((R * 255) / a));
        G = Math.min(255, Math.round((G * 255) / a));
        B = Math.min(255, Math.round((B * 255) / a));
      }
      out[d] = R;
      out[d + 1] = G;
      out[d + 2] = B;
      out[d + 3] = a;
    }
  } else {
    // CMYK, YCbCr, CIELab...: geotiff converts to RGB (8-bit data).
    const rgb = (await image.readRGB({ interleave: true, enableAlpha: true })) as unknown as Samples;
    const ch = rgb.length / n;
    for (let p = 0; p < n; p++) {
      out[p * 4] = rgb[p * ch];
      out[p * 4 + 1] = rgb[p * ch + 1];
      out[p * 4 + 2] = rgb[p * ch + 2];
      out[p * 4 + 3] = ch >= 4 ? rgb[p * ch + 3] : 255;
    }
  }
  return { width, height, data: out, sourceBitDepth: bits };
}
