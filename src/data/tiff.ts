/**
 * TIFF decoding through geotiff (uncompressed, PackBits, LZW, Deflate, with predictors), shared by
 * the Node decoder and the browser decoder (browsers other than Safari cannot decode TIFF). Grey
 * (either polarity), grey+alpha, RGB, RGBA and palette images at 1 to 16 bits per sample become
 * 8-bit RGBA; other photometric interpretations go through geotiff's RGB conversion.
 *
 * Bounded by what the header declares, before geotiff reads anything: the number of strips or
 * tiles must be what the image's size implies, a strip or tile may not be larger than the image
 * needs (a 65536 x 65536 tile on a 16 x 16 image is refused), at most 8 samples of at most 16 bits,
 * and the compressed bytes must be able to hold the declared pixels at the compression's largest
 * ratio (a lying header is refused before any allocation). geotiff's own LZW and PackBits decoders
 * grow JavaScript arrays without limit and its Deflate has no output cap, so ours are registered in
 * their place (geotiff's `addDecoder`): each decodes into a buffer of the block's declared size and
 * stops with DECODE_FAILED ("more data than the header declares") beyond it. A JPEG-compressed
 * tile's own frame size is checked against the tile's; compressions that could not be bounded
 * this way (LERC, Zstandard, WebP in TIFF) are refused as unsupported.
 *
 * Orientation is not applied here (exif.ts reads TIFF's Orientation tag). No DOM, no Node: geotiff
 * runs in workers, and its per-compression decoders are loaded on first use.
 */
import { Unzlib } from 'fflate';
import { addDecoder, BaseDecoder, fromArrayBuffer } from 'geotiff';
import { DataError } from '../core/errors';
import { DEFLATE_MAX_RATIO, inflateBounded } from '../core/inflate';
import { entryValue, entryValues, readIfd, readTiffStructure, TAG } from './ifd';
import { lzwDecode, TIFF_LZW } from './lzw';
import type { RawImage } from './types';

const fail = (message: string): never => {
  throw new DataError('DECODE_FAILED', message);
};

/** The largest expansion of each supported compression (output bytes per input byte). */
const MAX_RATIO: Record<number, number> = {
  1: 1,
  5: 4096, // LZW: a 12-bit code can stand for up to 4096 bytes
  7: 4096, // JPEG: generous; each tile's frame size is checked besides
  8: DEFLATE_MAX_RATIO,
  32946: DEFLATE_MAX_RATIO,
  32773: 64, // PackBits: 2 bytes for a run of 128
};
const UNSUPPORTED: Record<number, string> = {
  2: 'CCITT fax',
  3: 'CCITT fax',
  4: 'CCITT fax',
  6: 'old-style JPEG',
  34887: 'LERC',
  50000: 'Zstandard',
  50001: 'WebP',
};
const MAX_SAMPLES = 8;
/** A strip or tile may hold this much, or twice the image, whichever is more. */
const MAX_BLOCK_BYTES = 64 * 2 ** 20;

/** Decoded bytes of one strip or tile, from geotiff's decoder parameters (plus samplesPerPixel). */
function blockBytes(p: BaseDecoder['parameters']): number {
  const bits = typeof p.bitsPerSample === 'number' ? [p.bitsPerSample] : Array.from(p.bitsPerSample);
  const spp = p.samplesPerPixel ?? bits.length;
  const perPixel = p.planarConfiguration === 2 ? bits[0] : bits.length >= spp ? bits.slice(0, spp).reduce((a, b) => a + b, 0) : bits[0] * spp;
  return Math.ceil((p.tileWidth * perPixel) / 8) * p.tileHeight;
}

/** geotiff's decoders for LZW, Deflate and PackBits, writing into a buffer of the block's declared size. */
class BoundedLzw extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const out = new Uint8Array(blockBytes(this.parameters));
    lzwDecode(new Uint8Array(buffer), out, TIFF_LZW, 'corrupt TIFF strip');
    return out.buffer;
  }
}
class BoundedDeflate extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const n = blockBytes(this.parameters);
    const r = inflateBounded(new Uint8Array(buffer), n, (ondata) => new Unzlib(ondata), { allowShort: true });
    if (!r.ok) fail(`corrupt TIFF strip: ${r.message}`);
    const data = (r as { data: Uint8Array }).data;
    if (data.length === n) return data.buffer;
    const out = new Uint8Array(n);
    out.set(data);
    return out.buffer;
  }
}
class BoundedPackBits extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const src = new Uint8Array(buffer);
    const out = new Uint8Array(blockBytes(this.parameters));
    let o = 0;
    for (let i = 0; i < src.length;) {
      const h = (src[i++] << 24) >> 24;
      if (h === -128) continue;
      const n = h < 0 ? 1 - h : h + 1;
      if (o + n > out.length) fail(`corrupt TIFF strip: more data than the header declares (over ${out.length} bytes)`);
      if (h < 0) out.fill(src[i++], o, o + n);
      else {
        out.set(src.subarray(i, i + n), o);
        i += n;
      }
      o += n;
    }
    return out.buffer;
  }
}

type Directory = Parameters<Parameters<typeof addDecoder>[2] & object>[0];
async function parametersWithSamples(fd: Directory) {
  const tiled = !fd.hasTag('StripOffsets');
  return {
    tileWidth: Number(await fd.loadValue(tiled ? 'TileWidth' : 'ImageWidth')),
    tileHeight: Number(tiled ? await fd.loadValue('TileLength') : (await fd.loadValue('RowsPerStrip')) || (await fd.loadValue('ImageLength'))),
    planarConfiguration: Number(await fd.loadValue('PlanarConfiguration')),
    bitsPerSample: (await fd.loadValue('BitsPerSample')) as number | number[],
    predictor: Number((await fd.loadValue('Predictor')) || 1),
    samplesPerPixel: Number((await fd.loadValue('SamplesPerPixel')) || 1),
  };
}
addDecoder(5, async () => BoundedLzw, parametersWithSamples, false);
addDecoder([8, 32946], async () => BoundedDeflate, parametersWithSamples, false);
addDecoder(32773, async () => BoundedPackBits, parametersWithSamples, false);

/** The first frame header (SOF) of a JPEG stream: its width and height, or null. */
function jpegFrameSize(b: Uint8Array, from: number, to: number): [number, number] | null {
  for (let i = from; i + 8 < to; i++) {
    if (b[i] !== 0xff) continue;
    const m = b[i + 1];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return [(b[i + 7] << 8) | b[i + 8], (b[i + 5] << 8) | b[i + 6]];
  }
  return null;
}

/**
 * What the header declares, checked against itself and the file before geotiff reads it: sample
 * layout, compression, the strip or tile grid and its byte counts.
 */
export function checkTiffLayout(b: Uint8Array): void {
  const t = readTiffStructure(b, 0);
  if (!t) fail('corrupt TIFF header');
  const ifd = readIfd(b, t!, t!.ifd0);
  if (!ifd) fail('truncated TIFF: the first image directory lies past the end of the file');
  const get = (tag: number) => entryValue(b, t!, ifd!.get(tag));
  const width = get(TAG.ImageWidth) ?? 0;
  const height = get(TAG.ImageLength) ?? 0;
  if (!width || !height) fail('corrupt TIFF: no width or height');
  const spp = get(TAG.SamplesPerPixel) ?? 1;
  if (spp < 1 || spp > MAX_SAMPLES) fail(`corrupt TIFF: ${spp} samples per pixel (at most ${MAX_SAMPLES} are read)`);
  const bits = entryValues(b, t!, ifd!.get(TAG.BitsPerSample), MAX_SAMPLES) ?? [1];
  if (bits.some((x) => x < 1 || x > 64)) fail(`corrupt TIFF: ${bits.join('/')} bits per sample`);
  const compression = get(TAG.Compression) ?? 1;
  if (UNSUPPORTED[compression])
    throw new DataError('UNSUPPORTED_FORMAT', `${UNSUPPORTED[compression]}-compressed TIFF is not supported; save it with LZW, Deflate or no compression`);
  if (!MAX_RATIO[compression])
    throw new DataError('UNSUPPORTED_FORMAT', `TIFF compression ${compression} is not supported; save it with LZW, Deflate or no compression`);
  const planar = get(TAG.PlanarConfiguration) ?? 1;
  const perPixelBits = planar === 2 ? bits[0] : bits.length >= spp ? bits.slice(0, spp).reduce((a, v) => a + v, 0) : bits[0] * spp;
  const tiled = ifd!.has(TAG.TileOffsets) && !ifd!.has(TAG.StripOffsets);
  let bw: number;
  let bh: number;
  if (tiled) {
    bw = get(TAG.TileWidth) ?? 0;
    bh = get(TAG.TileLength) ?? 0;
    if (!bw || !bh) fail('corrupt TIFF: a tiled image without tile width or length');
  } else {
    bw = width;
    bh = Math.min(get(TAG.RowsPerStrip) || height, height);
  }
  const planes = planar === 2 ? spp : 1;
  const blocks = Math.ceil(width / bw) * Math.ceil(height / bh) * planes;
  const name = tiled ? 'tiles' : 'strips';
  const offsetsEntry = ifd!.get(tiled ? TAG.TileOffsets : TAG.StripOffsets);
  const countsEntry = ifd!.get(tiled ? TAG.TileByteCounts : TAG.StripByteCounts);
  if (!offsetsEntry || !countsEntry) fail(`corrupt TIFF: no ${name} offsets or byte counts`);
  if (offsetsEntry!.count !== blocks || countsEntry!.count !== blocks) {
    fail(`corrupt TIFF: ${offsetsEntry!.count} ${name} declared, but a ${width} x ${height} image in ${bw} x ${bh} ${name} has ${blocks}`);
  }
  const imageBytes = Math.ceil((width * perPixelBits) / 8) * height * (planar === 2 ? spp : 1);
  const block = Math.ceil((bw * perPixelBits) / 8) * bh;
  if (block > Math.max(2 * imageBytes, MAX_BLOCK_BYTES)) {
    fail(`corrupt TIFF: ${bw} x ${bh} ${name} (${block} bytes each) for a ${width} x ${height} image`);
  }
  const offsets = entryValues(b, t!, offsetsEntry);
  const counts = entryValues(b, t!, countsEntry);
  if (!offsets || !counts) fail(`truncated TIFF: the ${name} offsets lie past the end of the file`);
  let compressed = 0;
  for (let k = 0; k < blocks; k++) {
    if (offsets![k] + counts![k] > b.length) fail(`truncated TIFF: ${name.slice(0, -1)} ${k} ends past the end of the file`);
    compressed += counts![k];
    if (compression === 7) {
      const size = jpegFrameSize(b, offsets![k], offsets![k] + counts![k]);
      if (size && (size[0] > bw || size[1] > bh)) fail(`corrupt TIFF: a ${size[0]} x ${size[1]} JPEG inside a ${bw} x ${bh} ${name.slice(0, -1)}`);
    }
  }
  // The declared pixels must fit in the compressed bytes at the compression's largest ratio.
  if (imageBytes > compressed * MAX_RATIO[compression] + 64 * blocks) {
    fail(`corrupt TIFF: ${width} x ${height} needs ${imageBytes} bytes, more than its ${compressed} compressed bytes can hold`);
  }
}

type Samples = ArrayLike<number>;

function to8(bits: number): (v: number) => number {
  if (bits === 8) return (v) => v;
  if (bits === 16) return (v) => ((v * 255 + 32767) / 65535) | 0;
  const max = 2 ** bits - 1;
  return (v) => Math.round((Math.min(v, max) * 255) / max);
}

/** Decode the first image of a TIFF file into 8-bit RGBA. */
export async function decodeTiff(bytes: Uint8Array): Promise<RawImage> {
  checkTiffLayout(bytes);
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
