/**
 * One image file from bytes to pixels, with every check the import makes, in the order it makes
 * them: read, empty, sniff (content decides, not the name), pixel limit from the header (before
 * any decoding), truncation, a JPEG header that claims more pixels than its data can hold (the
 * other formats' decoders check theirs), EXIF orientation read and reset in the bytes handed to
 * the decoder, decode, bit depth. Shared by the import and by inference on dropped images, so both see the same
 * pixels for the same file.
 *
 * No DOM, no Node: the decoder is injected.
 */
import { applyOrientation, neutralizeOrientation, readOrientation, type Orientation } from './exif';
import { formatFromExtension } from './paths';
import { resizeInto, type Placement } from './resize';
import { JPEG_MAX_PIXELS_PER_BYTE, sniff, type ImageHeader } from './sniff';
import { isDataError, type SkipCode } from '../core/errors';
import type { FileWarning, ImageDecoder, InputFile, RawImage, ResizeMode } from './types';

export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface Skip {
  code: SkipCode;
  message: string;
}

export interface LoadedImage {
  /** As stored: orientation not applied (masks turn with their image's orientation, not their own). */
  raw: RawImage;
  orientation: Orientation;
  header: ImageHeader;
  warnings: FileWarning[];
}

export const FORMAT_NAME = { jpeg: 'JPEG', png: 'PNG', bmp: 'BMP', webp: 'WebP', gif: 'GIF', tiff: 'TIFF' } as const;

const mp = (px: number) => `${(px / 1e6).toFixed(px < 1e7 ? 1 : 0)} MP`;

export function isSkip(v: LoadedImage | Skip): v is Skip {
  return (v as Skip).code !== undefined;
}

/** Read, check and decode one file. Never throws: a file that cannot be used comes back as a Skip. */
export async function loadImage(file: InputFile, decoder: ImageDecoder, maxPixels = DEFAULT_MAX_PIXELS): Promise<LoadedImage | Skip> {
  let bytes: Uint8Array;
  try {
    bytes = await file.read();
  } catch (e) {
    return { code: 'READ_FAILED', message: `could not be read (${e instanceof Error ? e.message : String(e)}); was it moved or deleted?` };
  }
  if (bytes.length === 0) return { code: 'EMPTY_FILE', message: 'the file is empty (0 bytes)' };
  const s = sniff(bytes);
  if (!s.ok) return { code: s.code, message: s.message };
  const h = s.header;
  if (h.width * h.height > maxPixels) {
    return {
      code: 'TOO_LARGE',
      message: `${h.width} x ${h.height} (${mp(h.width * h.height)}) is over the ${mp(maxPixels)} limit; downscale it or raise the limit`,
    };
  }
  if (!h.complete) return { code: 'DECODE_FAILED', message: `truncated ${FORMAT_NAME[h.format]}: the file ends before its image data does` };
  if (h.scan?.huffman && h.width * h.height > (h.scan.bytes + 64) * JPEG_MAX_PIXELS_PER_BYTE) {
    return {
      code: 'DECODE_FAILED',
      message: `corrupt JPEG: ${h.width} x ${h.height} is more than its ${h.scan.bytes} bytes of image data can hold (a damaged or crafted header)`,
    };
  }
  const warnings: FileWarning[] = [];
  const named = formatFromExtension(file.path);
  if (named !== h.format) {
    warnings.push({
      code: 'EXTENSION_MISMATCH',
      message: named
        ? `named as ${FORMAT_NAME[named]} but is a ${FORMAT_NAME[h.format]}; read as ${FORMAT_NAME[h.format]}`
        : `no image extension, but is a ${FORMAT_NAME[h.format]}; read as such`,
    });
  }
  const orientation = readOrientation(bytes, h.format);
  let raw: RawImage;
  try {
    raw = await decoder.decode(neutralizeOrientation(bytes, h.format), h.format);
  } catch (e) {
    if (isDataError(e) && e.code !== 'CANCELLED') return { code: e.code as SkipCode, message: e.message };
    return { code: 'DECODE_FAILED', message: `could not be decoded as ${FORMAT_NAME[h.format]}: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!raw || raw.width < 1 || raw.height < 1 || raw.data.length !== raw.width * raw.height * 4) {
    return { code: 'DECODE_FAILED', message: `the decoder returned no valid pixels for this ${FORMAT_NAME[h.format]}` };
  }
  // The header knows the stored depth even when a (browser) decoder cannot tell.
  const depth = Math.max(raw.sourceBitDepth, h.format === 'png' || h.format === 'tiff' || h.format === 'jpeg' ? h.bitDepth : 8);
  if (depth > 8) {
    warnings.push({ code: 'REDUCED_16_TO_8', message: `${depth}-bit channels reduced to 8 bits (rounded), as the networks take 8-bit input` });
  }
  return { raw, orientation, header: h, warnings };
}

/**
 * One file as network input: loaded, oriented, resized to size x size 8-bit RGB. For inference on
 * dropped images, so they get exactly the import's treatment.
 */
export async function loadForNetwork(
  file: InputFile,
  decoder: ImageDecoder,
  opts: { inputSize: number; resize?: ResizeMode; maxPixels?: number },
): Promise<{ ok: true; rgb: Uint8Array; placement: Placement; width: number; height: number; warnings: FileWarning[] } | ({ ok: false } & Skip)> {
  const img = await loadImage(file, decoder, opts.maxPixels);
  if (isSkip(img)) return { ok: false, ...img };
  const oriented = applyOrientation(img.raw, img.orientation);
  const rgb = new Uint8Array(opts.inputSize * opts.inputSize * 3);
  const placement = resizeInto(oriented, opts.inputSize, opts.resize ?? 'stretch', rgb, 0);
  return { ok: true, rgb, placement, width: oriented.width, height: oriented.height, warnings: img.warnings };
}
