/**
 * The hostile-file corpus, made in code: decompression bombs of each format, lying headers, giant
 * and zero dimensions, bad checksums, and crafted bundles (a zip with overlapping entries, an entry
 * that inflates past its declared size, a model.json whose weights are short, a manifest whose
 * class list is longer than the model's outputs...). Each case says what the import or "Open
 * bundle" must answer. The unit tests run every case through `importDataset` and `openBundle` in
 * Node; e2e/hostile.spec.ts runs them through the studio's own inputs and measures the worker.
 *
 * Bombs are built directly (LZW code runs, deflate of zeros) so making one is cheap.
 */
import { deflateSync, strToU8, zipSync, zlibSync } from 'fflate';
import { crc32 } from '../../core/inflate';
import { encodeJpeg } from './fixtures';

export type HostileExpect = 'ok' | 'DECODE_FAILED' | 'TOO_LARGE' | 'UNSUPPORTED_FORMAT' | 'INVALID_CONFIG' | 'BUNDLE_TOO_LARGE';

export interface HostileCase {
  id: string;
  /** 'image': one file in a class folder, through the import; 'bundle': through Open bundle. */
  kind: 'image' | 'bundle';
  /** File name (with the extension a user would see). */
  name: string;
  what: string;
  expect: HostileExpect;
  /** For bundles: the field or entry the error must name (in its subject or issues). */
  names?: string;
  bytes(): Uint8Array;
}

const MiB = 2 ** 20;
/** What every bomb inflates to: enough that a decoder without a bound shows it in memory. */
export const BOMB_BYTES = 64 * MiB;

const once = <T>(f: () => T): (() => T) => {
  let v: T | undefined;
  return () => (v ??= f());
};

const zeros = once(() => new Uint8Array(BOMB_BYTES));
const zlibBomb = once(() => zlibSync(zeros(), { level: 9 }));
const deflateBomb = once(() => deflateSync(zeros(), { level: 9 }));

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

function cat(parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PNG

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = cat([strToU8(type), data]);
  return cat([be32(data.length), body, be32(crc32(body))]);
}

export function pngFile(width: number, height: number, chunks: Uint8Array[], colorType = 2, depth = 8, interlace = 0): Uint8Array {
  const ihdr = cat([be32(width), be32(height), [depth, colorType, 0, 0, interlace]]);
  return cat([[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], pngChunk('IHDR', ihdr), ...chunks, pngChunk('IEND', new Uint8Array())]);
}

/** A valid 16 x 16 RGB PNG's IDAT chunks (so only the case's own change makes it hostile). */
function goodPng(): Uint8Array {
  const rows = new Uint8Array(16 * (1 + 48)).map((_, i) => (i % 49 === 0 ? 0 : (i * 37) & 255));
  return pngFile(16, 16, [pngChunk('IDAT', zlibSync(rows))]);
}

// ---------------------------------------------------------------------------------------------
// LZW runs of zeros: code k stands for k - 256 zeros, so a few KB stand for megabytes.

function lzwRun(total: number, d: { lsbFirst: boolean; minCodeSize: number; earlyChange: 0 | 1 }): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let nacc = 0;
  const put = (code: number, width: number) => {
    if (d.lsbFirst) {
      acc |= code << nacc;
      nacc += width;
      while (nacc >= 8) {
        bytes.push(acc & 255);
        acc >>>= 8;
        nacc -= 8;
      }
    } else {
      acc = (acc << width) | code;
      nacc += width;
      while (nacc >= 8) {
        bytes.push((acc >>> (nacc - 8)) & 255);
        nacc -= 8;
      }
      acc &= (1 << nacc) - 1;
    }
  };
  const clear = 1 << d.minCodeSize;
  let size = d.minCodeSize + 1;
  let next = clear + 2;
  let run = 0; // zeros the previous code stood for; 0 right after a clear
  let done = 0;
  put(clear, size);
  while (done < total) {
    if (run > 0 && run + 1 <= total - done) {
      put(next, size); // the entry being defined: the previous run plus one zero
      next++;
      run++;
    } else {
      put(0, size); // one zero (after a clear, or to end exactly on `total`)
      if (run > 0 && next < 4096) next++;
      run = 1;
    }
    done += run;
    // Mirror the decoder: widen the codes as its table fills, start a fresh table before it is full.
    if (next + d.earlyChange >= 1 << size && size < 12) size++;
    if (next >= 4000 && done < total) {
      put(clear, size);
      size = d.minCodeSize + 1;
      next = clear + 2;
      run = 0;
    }
  }
  put(clear + 1, size);
  if (nacc > 0) bytes.push(d.lsbFirst ? acc & 255 : (acc << (8 - nacc)) & 255);
  return Uint8Array.from(bytes);
}

// ---------------------------------------------------------------------------------------------
// TIFF (little-endian, one IFD)

interface TiffOpts {
  width: number;
  height: number;
  compression?: number;
  spp?: number;
  bits?: number;
  rowsPerStrip?: number;
  tile?: [number, number];
  blocks: Uint8Array[];
  /** Declare this many strips or tiles, all pointing at the first block. */
  blockCount?: number;
}

export function tiffFile(o: TiffOpts): Uint8Array {
  const spp = o.spp ?? 1;
  const count = o.blockCount ?? o.blocks.length;
  const data = cat(o.blocks);
  const dataAt = 8;
  const offsets: number[] = [];
  const counts: number[] = [];
  let at = dataAt;
  for (let k = 0; k < count; k++) {
    const b = o.blocks[Math.min(k, o.blocks.length - 1)];
    offsets.push(k < o.blocks.length ? at : dataAt);
    counts.push(b.length);
    if (k < o.blocks.length) at += b.length;
  }
  const entries: [number, 3 | 4, number[]][] = [
    [256, 4, [o.width]],
    [257, 4, [o.height]],
    [258, 3, new Array(spp).fill(o.bits ?? 8)],
    [259, 3, [o.compression ?? 1]],
    [262, 3, [spp >= 3 ? 2 : 1]],
    [277, 3, [spp]],
    [284, 3, [1]],
  ];
  if (o.tile) entries.push([322, 4, [o.tile[0]]], [323, 4, [o.tile[1]]], [324, 4, offsets], [325, 4, counts]);
  else entries.push([273, 4, offsets], [278, 4, [o.rowsPerStrip ?? o.height]], [279, 4, counts]);
  entries.sort((a, b) => a[0] - b[0]);
  const ifdAt = dataAt + data.length + (data.length & 1);
  let extra = ifdAt + 2 + entries.length * 12 + 4;
  const size = (e: (typeof entries)[number]) => e[2].length * (e[1] === 3 ? 2 : 4);
  const total = extra + entries.reduce((a, e) => a + (size(e) > 4 ? size(e) : 0), 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, ifdAt, true);
  out.set(data, dataAt);
  dv.setUint16(ifdAt, entries.length, true);
  entries.forEach((e, k) => {
    const p = ifdAt + 2 + k * 12;
    dv.setUint16(p, e[0], true);
    dv.setUint16(p + 2, e[1], true);
    dv.setUint32(p + 4, e[2].length, true);
    const write = (base: number) => e[2].forEach((v, i) => (e[1] === 3 ? dv.setUint16(base + i * 2, v, true) : dv.setUint32(base + i * 4, v, true)));
    if (size(e) <= 4) write(p + 8);
    else {
      dv.setUint32(p + 8, extra, true);
      write(extra);
      extra += size(e);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// GIF

interface GifFrame {
  x?: number;
  y?: number;
  w: number;
  h: number;
  lzw: Uint8Array;
}

export function gifFile(width: number, height: number, frames: GifFrame[], repeat = 1): Uint8Array {
  const parts: (Uint8Array | number[])[] = [strToU8('GIF89a'), [width & 255, width >> 8, height & 255, height >> 8, 0x80, 0, 0], [0, 0, 0, 255, 255, 255]];
  for (let r = 0; r < repeat; r++) {
    for (const f of frames) {
      const x = f.x ?? 0;
      const y = f.y ?? 0;
      parts.push([0x2c, x & 255, x >> 8, y & 255, y >> 8, f.w & 255, f.w >> 8, f.h & 255, f.h >> 8, 0, 2]);
      for (let i = 0; i < f.lzw.length; i += 255) {
        const n = Math.min(255, f.lzw.length - i);
        parts.push([n], f.lzw.subarray(i, i + n));
      }
      parts.push([0]);
    }
  }
  parts.push([0x3b]);
  return cat(parts);
}

/** LZW data for a frame of n pixels, all index 0 (GIF, 2-bit codes). */
const gifPixels = (n: number) => lzwRun(n, { lsbFirst: true, minCodeSize: 2, earlyChange: 0 });

// ---------------------------------------------------------------------------------------------
// JPEG with its frame size patched

function jpegSized(width: number, height: number): Uint8Array {
  const j = encodeJpeg({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(200) });
  for (let i = 2; i + 9 < j.length; i++) {
    if (j[i] === 0xff && j[i + 1] === 0xc0) {
      j[i + 5] = height >> 8;
      j[i + 6] = height & 255;
      j[i + 7] = width >> 8;
      j[i + 8] = width & 255;
      return j;
    }
  }
  throw new Error('no SOF0 in the encoded JPEG');
}

// ---------------------------------------------------------------------------------------------
// Zips and bundles

interface ZipItem {
  name: string;
  data: Uint8Array;
  /** 8: deflate `data` (or write `body` as the compressed bytes). */
  method?: 0 | 8;
  body?: Uint8Array;
  /** Lie in the directory and local header: this uncompressed size, this CRC. */
  declaredSize?: number;
  crc?: number;
}

interface DirEntry {
  name: string;
  method: number;
  crc: number;
  csize: number;
  size: number;
  offset: number;
}

/** One local record: header, name, compressed bytes. */
function localRecord(it: ZipItem): { bytes: Uint8Array; dir: Omit<DirEntry, 'offset'> } {
  const method = it.method ?? 0;
  const body = it.body ?? (method === 8 ? deflateSync(it.data) : it.data);
  const name = strToU8(it.name);
  const crc = it.crc ?? crc32(it.data);
  const size = it.declaredSize ?? it.data.length;
  const head = new Uint8Array(30);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, 0x04034b50, true);
  dv.setUint16(4, 20, true);
  dv.setUint16(8, method, true);
  dv.setUint32(14, crc, true);
  dv.setUint32(18, body.length, true);
  dv.setUint32(22, size, true);
  dv.setUint16(26, name.length, true);
  return { bytes: cat([head, name, body]), dir: { name: it.name, method, crc, csize: body.length, size } };
}

/** The local area as given, then a directory listing `dir`. */
function zipOf(locals: Uint8Array, dir: DirEntry[]): Uint8Array {
  const central = dir.map((e) => {
    const name = strToU8(e.name);
    const c = new Uint8Array(46);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, e.method, true);
    cv.setUint32(16, e.crc, true);
    cv.setUint32(20, e.csize, true);
    cv.setUint32(24, e.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, e.offset, true);
    return cat([c, name]);
  });
  const cd = cat(central);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, dir.length, true);
  ev.setUint16(10, dir.length, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, locals.length, true);
  return cat([locals, cd, end]);
}

/** A zip written by hand, so its directory can say what the data does not. */
export function zipFile(items: ZipItem[]): Uint8Array {
  const records = items.map(localRecord);
  const dir: DirEntry[] = [];
  let offset = 0;
  for (const r of records) {
    dir.push({ ...r.dir, offset });
    offset += r.bytes.length;
  }
  return zipOf(cat(records.map((r) => r.bytes)), dir);
}

/** The smallest functional tfjs model a bundle could hold: global average pooling, then a Dense head. */
export function tinyModelJson(o: { units?: number; declaredUnits?: number; inputSize?: number } = {}): { json: unknown; weightBytes: number } {
  const units = o.units ?? 2;
  const declared = o.declaredUnits ?? units;
  const size = o.inputSize ?? 32;
  const json = {
    format: 'layers-model',
    generatedBy: 'hostile corpus',
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
      config: {
        name: 'student1',
        layers: [
          {
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, size, size, 3], dtype: 'float32', sparse: false, name: 'student1_input' },
            name: 'student1_input',
            inbound_nodes: [],
          },
          {
            class_name: 'GlobalAveragePooling2D',
            config: { data_format: 'channels_last', name: 'student1_pool', trainable: true },
            name: 'student1_pool',
            inbound_nodes: [[['student1_input', 0, 0, {}]]],
          },
          {
            class_name: 'Dense',
            config: {
              units,
              activation: 'linear',
              use_bias: true,
              kernel_initializer: { class_name: 'Zeros', config: {} },
              bias_initializer: { class_name: 'Zeros', config: {} },
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
              name: 'student1_head',
              trainable: true,
            },
            name: 'student1_head',
            inbound_nodes: [[['student1_pool', 0, 0, {}]]],
          },
        ],
        input_layers: [['student1_input', 0, 0]],
        output_layers: [['student1_head', 0, 0]],
      },
    },
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'student1_head/kernel', shape: [3, declared], dtype: 'float32' },
          { name: 'student1_head/bias', shape: [declared], dtype: 'float32' },
        ],
      },
    ],
  };
  return { json, weightBytes: 4 * (3 * declared + declared) };
}

export function manifestJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'cohort-studio-bundle',
    version: 1,
    task: 'classify',
    members: [{ name: 'student1', arch: 'resnet18', width: 0.0625, params: 8, path: 'student1' }],
    rule: 'max',
    classNames: ['MSS', 'MSIMUT'],
    inputSize: 32,
    normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    resize: 'stretch',
    outputs: 'logits',
    createdAt: '2024-01-01T00:00:00.000Z',
    ...over,
  };
}

/** A valid one-member bundle, as files (to be zipped, or changed first). */
export function bundleFiles(o: { manifest?: Record<string, unknown>; model?: unknown; weights?: Uint8Array } = {}): Record<string, Uint8Array> {
  const m = tinyModelJson();
  return {
    'ensemble.json': strToU8(JSON.stringify(o.manifest ?? manifestJson())),
    'student1/model.json': strToU8(JSON.stringify(o.model ?? m.json)),
    'student1/weights.bin': o.weights ?? new Uint8Array(m.weightBytes),
  };
}

/** Two stored entries whose bytes overlap: the first one's data holds the second one whole. */
function overlappingZip(): Uint8Array {
  const f = bundleFiles();
  const inner = localRecord({ name: 'metrics.json', data: strToU8('{}') });
  const outer = localRecord({ name: 'config.json', data: inner.bytes });
  const rest = ['ensemble.json', 'student1/model.json', 'student1/weights.bin'].map((name) => localRecord({ name, data: f[name] }));
  const dir: DirEntry[] = [
    { ...outer.dir, offset: 0 },
    { ...inner.dir, offset: 30 + 'config.json'.length },
  ];
  let offset = outer.bytes.length;
  for (const r of rest) {
    dir.push({ ...r.dir, offset });
    offset += r.bytes.length;
  }
  return zipOf(cat([outer.bytes, ...rest.map((r) => r.bytes)]), dir);
}

// ---------------------------------------------------------------------------------------------

export const HOSTILE_CASES: HostileCase[] = [
  // PNG
  {
    id: 'png-deflate-bomb',
    kind: 'image',
    name: 'bomb.png',
    what: `16 x 16 PNG whose IDAT inflates to ${BOMB_BYTES / MiB} MiB`,
    expect: 'DECODE_FAILED',
    bytes: once(() => pngFile(16, 16, [pngChunk('IDAT', zlibBomb())])),
  },
  {
    id: 'png-lying-header',
    kind: 'image',
    name: 'lying.png',
    what: 'IHDR says 6000 x 6000 RGBA (36 MP, under the limit), 100 bytes of image data',
    expect: 'DECODE_FAILED',
    bytes: once(() => pngFile(6000, 6000, [pngChunk('IDAT', new Uint8Array(100))], 6)),
  },
  {
    id: 'png-giant',
    kind: 'image',
    name: 'giant.png',
    what: 'IHDR says 100000 x 100000',
    expect: 'TOO_LARGE',
    bytes: once(() => pngFile(100000, 100000, [pngChunk('IDAT', zlibSync(new Uint8Array(64)))])),
  },
  {
    id: 'png-zero-width',
    kind: 'image',
    name: 'zero.png',
    what: 'IHDR says 0 x 16',
    expect: 'DECODE_FAILED',
    bytes: once(() => pngFile(0, 16, [pngChunk('IDAT', zlibSync(new Uint8Array(16)))])),
  },
  {
    id: 'png-bad-crc',
    kind: 'image',
    name: 'crc.png',
    what: 'a valid 16 x 16 PNG with one byte of its IDAT checksum flipped',
    expect: 'DECODE_FAILED',
    bytes: once(() => {
      const b = goodPng();
      const iend = b.length - 12;
      b[iend - 1] ^= 0xff; // the last byte of IDAT's CRC
      return b;
    }),
  },
  {
    id: 'png-iccp-bomb',
    kind: 'image',
    name: 'profile.png',
    what: `a valid 16 x 16 PNG with an ICC profile chunk inflating to ${BOMB_BYTES / MiB} MiB (metadata is never inflated)`,
    expect: 'ok',
    bytes: once(() => {
      const good = goodPng();
      const iccp = pngChunk('iCCP', cat([strToU8('bomb'), [0, 0], zlibBomb()]));
      return cat([good.subarray(0, 33), iccp, good.subarray(33)]);
    }),
  },
  // TIFF
  {
    id: 'tiff-lzw-bomb',
    kind: 'image',
    name: 'bomb-lzw.tif',
    what: `16 x 16 grey TIFF whose one LZW strip decodes to ${BOMB_BYTES / MiB} MiB`,
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 16, height: 16, compression: 5, blocks: [lzwRun(BOMB_BYTES, { lsbFirst: false, minCodeSize: 8, earlyChange: 1 })] })),
  },
  {
    id: 'tiff-deflate-bomb',
    kind: 'image',
    name: 'bomb-deflate.tif',
    what: `16 x 16 grey TIFF whose one Deflate strip inflates to ${BOMB_BYTES / MiB} MiB`,
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 16, height: 16, compression: 8, blocks: [zlibBomb()] })),
  },
  {
    id: 'tiff-packbits-bomb',
    kind: 'image',
    name: 'bomb-packbits.tif',
    what: '16 x 16 grey TIFF whose PackBits strip expands to 4 MiB',
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 16, height: 16, compression: 32773, blocks: [new Uint8Array(65536).map((_, i) => (i % 2 ? 0 : 0x81))] })),
  },
  {
    id: 'tiff-many-strips',
    kind: 'image',
    name: 'strips.tif',
    what: '16 x 16 TIFF declaring 100,000 strips of one row',
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 16, height: 16, rowsPerStrip: 1, blocks: [new Uint8Array(16)], blockCount: 100_000 })),
  },
  {
    id: 'tiff-giant-tile',
    kind: 'image',
    name: 'tile.tif',
    what: '16 x 16 TIFF in one 65536 x 65536 tile',
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 16, height: 16, compression: 8, tile: [65536, 65536], blocks: [zlibSync(new Uint8Array(4096))] })),
  },
  {
    id: 'tiff-lying-header',
    kind: 'image',
    name: 'lying.tif',
    what: 'TIFF says 6000 x 6000 grey LZW (36 MP), one strip of 10 bytes',
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 6000, height: 6000, compression: 5, blocks: [new Uint8Array(10)] })),
  },
  {
    id: 'tiff-giant',
    kind: 'image',
    name: 'giant.tif',
    what: 'TIFF says 100000 x 100000',
    expect: 'TOO_LARGE',
    bytes: once(() => tiffFile({ width: 100000, height: 100000, compression: 8, blocks: [zlibSync(new Uint8Array(64))] })),
  },
  {
    id: 'tiff-zero-width',
    kind: 'image',
    name: 'zero.tif',
    what: 'TIFF says 0 x 16',
    expect: 'DECODE_FAILED',
    bytes: once(() => tiffFile({ width: 0, height: 16, blocks: [new Uint8Array(16)] })),
  },
  {
    id: 'tiff-lerc',
    kind: 'image',
    name: 'lerc.tif',
    what: 'LERC-compressed TIFF (a codec that cannot be bounded here)',
    expect: 'UNSUPPORTED_FORMAT',
    bytes: once(() => tiffFile({ width: 16, height: 16, compression: 34887, blocks: [new Uint8Array(64)] })),
  },
  // GIF
  {
    id: 'gif-lzw-bomb',
    kind: 'image',
    name: 'bomb.gif',
    what: `16 x 16 GIF whose frame's LZW data decodes to ${BOMB_BYTES / MiB} MiB of pixels`,
    expect: 'DECODE_FAILED',
    bytes: once(() => gifFile(16, 16, [{ w: 16, h: 16, lzw: gifPixels(BOMB_BYTES) }])),
  },
  {
    id: 'gif-frame-outside-screen',
    kind: 'image',
    name: 'frame.gif',
    what: '16 x 16 screen with a 65535 x 65535 first frame',
    expect: 'DECODE_FAILED',
    bytes: once(() => gifFile(16, 16, [{ w: 65535, h: 65535, lzw: gifPixels(256) }])),
  },
  {
    id: 'gif-many-frames',
    kind: 'image',
    name: 'frames.gif',
    what: '16 x 16 GIF with 20,000 frames (only the first is read)',
    expect: 'ok',
    bytes: once(() => gifFile(16, 16, [{ w: 16, h: 16, lzw: gifPixels(256) }], 20_000)),
  },
  {
    id: 'gif-zero-width',
    kind: 'image',
    name: 'zero.gif',
    what: 'GIF screen of 0 x 16',
    expect: 'DECODE_FAILED',
    bytes: once(() => gifFile(0, 16, [{ w: 1, h: 1, lzw: gifPixels(1) }])),
  },
  {
    id: 'gif-giant',
    kind: 'image',
    name: 'giant.gif',
    what: 'GIF screen of 65535 x 65535',
    expect: 'TOO_LARGE',
    bytes: once(() => gifFile(65535, 65535, [{ w: 16, h: 16, lzw: gifPixels(256) }])),
  },
  // JPEG, BMP, WebP
  {
    id: 'jpeg-lying-header',
    kind: 'image',
    name: 'lying.jpg',
    what: 'an 8 x 8 JPEG whose frame header says 6000 x 6000',
    expect: 'DECODE_FAILED',
    bytes: once(() => jpegSized(6000, 6000)),
  },
  {
    id: 'jpeg-giant',
    kind: 'image',
    name: 'giant.jpg',
    what: 'an 8 x 8 JPEG whose frame header says 65535 x 65535',
    expect: 'TOO_LARGE',
    bytes: once(() => jpegSized(65535, 65535)),
  },
  {
    id: 'jpeg-zero-width',
    kind: 'image',
    name: 'zero.jpg',
    what: 'an 8 x 8 JPEG whose frame header says 0 x 8',
    expect: 'DECODE_FAILED',
    bytes: once(() => jpegSized(0, 8)),
  },
  {
    id: 'bmp-lying-header',
    kind: 'image',
    name: 'lying.bmp',
    what: 'BMP header says 5000 x 5000 24-bit, no pixel rows',
    expect: 'DECODE_FAILED',
    bytes: once(() => {
      const b = new Uint8Array(54);
      const dv = new DataView(b.buffer);
      b.set([0x42, 0x4d]);
      dv.setUint32(2, 54, true);
      dv.setUint32(10, 54, true);
      dv.setUint32(14, 40, true);
      dv.setInt32(18, 5000, true);
      dv.setInt32(22, 5000, true);
      dv.setUint16(26, 1, true);
      dv.setUint16(28, 24, true);
      return b;
    }),
  },
  {
    id: 'webp-giant',
    kind: 'image',
    name: 'giant.webp',
    what: 'WebP (VP8X) canvas of 16384 x 16384',
    expect: 'TOO_LARGE',
    bytes: once(() => {
      const b = new Uint8Array(30);
      b.set(strToU8('RIFF'), 0);
      new DataView(b.buffer).setUint32(4, 22, true);
      b.set(strToU8('WEBPVP8X'), 8);
      new DataView(b.buffer).setUint32(16, 10, true);
      b.set([0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00], 24);
      return b;
    }),
  },
  // Bundles
  {
    id: 'bundle-control',
    kind: 'bundle',
    name: 'control.zip',
    what: 'a valid one-member bundle made by hand (the checks do not refuse everything)',
    expect: 'ok',
    bytes: once(() => zipSync(bundleFiles(), { level: 0 })),
  },
  {
    id: 'bundle-not-a-zip',
    kind: 'bundle',
    name: 'notes.zip',
    what: 'random bytes named .zip',
    expect: 'INVALID_CONFIG',
    bytes: once(() => new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24)),
  },
  {
    id: 'zip-entry-bomb',
    kind: 'bundle',
    name: 'entry-bomb.zip',
    what: `ensemble.json declared as 600 bytes whose deflate stream inflates to ${BOMB_BYTES / MiB} MiB`,
    expect: 'INVALID_CONFIG',
    names: 'ensemble.json',
    bytes: once(() => {
      const f = bundleFiles();
      const z = zipFile([
        { name: 'ensemble.json', data: new Uint8Array(600), method: 8, body: deflateBomb(), crc: 0 },
        { name: 'student1/model.json', data: f['student1/model.json'] },
        { name: 'student1/weights.bin', data: f['student1/weights.bin'] },
      ]);
      return z;
    }),
  },
  {
    id: 'zip-declared-too-large',
    kind: 'bundle',
    name: 'declared.zip',
    what: 'weights.bin declared as 1.9 GiB (2 MiB of data that is never inflated)',
    expect: 'BUNDLE_TOO_LARGE',
    names: 'student1/weights.bin',
    bytes: once(() => {
      const f = bundleFiles();
      const junk = new Uint8Array(2 * MiB).map((_, i) => (i * 2654435761) >>> 24);
      return zipFile([
        { name: 'ensemble.json', data: f['ensemble.json'] },
        { name: 'student1/model.json', data: f['student1/model.json'] },
        { name: 'student1/weights.bin', data: new Uint8Array(), method: 8, body: junk, declaredSize: Math.floor(1.9 * 1024 * MiB) },
      ]);
    }),
  },
  {
    id: 'zip-overlap',
    kind: 'bundle',
    name: 'overlap.zip',
    what: "two entries whose bytes overlap (the first one's data holds the second)",
    expect: 'INVALID_CONFIG',
    names: 'metrics.json',
    bytes: once(overlappingZip),
  },
  {
    id: 'zip-too-many-entries',
    kind: 'bundle',
    name: 'entries.zip',
    what: '5,000 empty entries',
    expect: 'BUNDLE_TOO_LARGE',
    bytes: once(() => zipFile(Array.from({ length: 5000 }, (_, i) => ({ name: `junk/${i}.txt`, data: new Uint8Array() })))),
  },
  {
    id: 'zip-bad-crc',
    kind: 'bundle',
    name: 'crc.zip',
    what: 'a valid bundle with the CRC of ensemble.json changed',
    expect: 'INVALID_CONFIG',
    names: 'ensemble.json',
    bytes: once(() => {
      const f = bundleFiles();
      return zipFile([
        { name: 'ensemble.json', data: f['ensemble.json'], crc: (crc32(f['ensemble.json']) ^ 1) >>> 0 },
        { name: 'student1/model.json', data: f['student1/model.json'] },
        { name: 'student1/weights.bin', data: f['student1/weights.bin'] },
      ]);
    }),
  },
  {
    id: 'zip-path-traversal',
    kind: 'bundle',
    name: 'traversal.zip',
    what: 'an entry named ../../ensemble.json',
    expect: 'INVALID_CONFIG',
    names: '../../ensemble.json',
    bytes: once(() => {
      const f = bundleFiles();
      return zipFile([
        { name: '../../ensemble.json', data: f['ensemble.json'] },
        ...['student1/model.json', 'student1/weights.bin'].map((n) => ({ name: n, data: f[n] })),
      ]);
    }),
  },
  {
    id: 'manifest-bad-fields',
    kind: 'bundle',
    name: 'manifest.zip',
    what: 'ensemble.json with inputSize 1000000, rule "vote" and an unknown architecture',
    expect: 'INVALID_CONFIG',
    names: 'inputSize,rule,members[0].arch',
    bytes: once(() =>
      zipSync(
        bundleFiles({
          manifest: manifestJson({
            inputSize: 1_000_000,
            rule: 'vote',
            members: [{ name: 'student1', arch: 'alexnet', width: 1, params: 8, path: 'student1' }],
          }),
        }),
        { level: 0 },
      ),
    ),
  },
  {
    id: 'manifest-class-list-too-long',
    kind: 'bundle',
    name: 'classes.zip',
    what: 'a manifest listing 5 classes for a model with 2 outputs',
    expect: 'INVALID_CONFIG',
    names: 'modelTopology.config.output_layers',
    bytes: once(() => zipSync(bundleFiles({ manifest: manifestJson({ classNames: ['a', 'b', 'c', 'd', 'e'] }) }), { level: 0 })),
  },
  {
    id: 'model-weights-short',
    kind: 'bundle',
    name: 'short.zip',
    what: 'weights.bin 8 bytes shorter than model.json declares',
    expect: 'INVALID_CONFIG',
    names: 'weights.bin',
    bytes: once(() => zipSync(bundleFiles({ weights: new Uint8Array(tinyModelJson().weightBytes - 8) }), { level: 0 })),
  },
  {
    id: 'model-giant-layer',
    kind: 'bundle',
    name: 'layer.zip',
    what: 'model.json whose Dense head has 1,000,000,000 units (tfjs would allocate 12 GB before looking at the weights)',
    expect: 'INVALID_CONFIG',
    names: 'modelTopology.config.layers[2].config.units',
    bytes: once(() => zipSync(bundleFiles({ model: tinyModelJson({ units: 1e9, declaredUnits: 2 }).json }), { level: 0 })),
  },
  {
    id: 'model-weights-lie',
    kind: 'bundle',
    name: 'shapes.zip',
    what: 'model.json whose Dense head needs [3, 60000] while its weights list says [3, 2]',
    expect: 'INVALID_CONFIG',
    names: 'weightsManifest',
    bytes: once(() => zipSync(bundleFiles({ model: tinyModelJson({ units: 60000, declaredUnits: 2 }).json }), { level: 0 })),
  },
];
