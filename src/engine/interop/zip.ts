/**
 * Reading the zip archive that `torch.save` writes (PKWARE zip, entries stored uncompressed and
 * 64-byte aligned, zip64 records always present): the central directory from the end of the file,
 * each entry as a view into the file's bytes (deflated entries, as a re-zipped file may have, are
 * inflated with fflate). fflate's own `unzipSync` copies every entry and reports damage as a bare
 * message; this reader keeps the storages zero-copy and names the file and entry that is damaged.
 *
 * Owns: `readZipDirectory`, `looksLikeZip`. Must not import TensorFlow.js.
 */
import { inflateSync } from 'fflate';
import { weightsError } from './stateDict';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const EOCD64 = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function u64(v: DataView, at: number): number {
  const lo = v.getUint32(at, true);
  const hi = v.getUint32(at + 4, true);
  return hi * 2 ** 32 + lo;
}

export class ZipArchive {
  constructor(
    private readonly bytes: Uint8Array,
    readonly file: string,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  /** The entry's bytes (a view for stored entries), or null when there is no such entry. */
  read(name: string): Uint8Array | null {
    const e = this.entries.get(name);
    if (!e) return null;
    const b = this.bytes;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (e.localOffset + 30 > b.length || v.getUint32(e.localOffset, true) !== LOCAL) {
      throw weightsError('WEIGHTS_CORRUPT', this.file, `the zip entry ${name} has no local header where the directory says`, { key: name });
    }
    const start = e.localOffset + 30 + v.getUint16(e.localOffset + 26, true) + v.getUint16(e.localOffset + 28, true);
    if (start + e.compressedSize > b.length) {
      throw weightsError('WEIGHTS_CORRUPT', this.file, `the zip entry ${name} runs past the end of the file (truncated?)`, { key: name });
    }
    const raw = b.subarray(start, start + e.compressedSize);
    if (e.method === 0) return raw;
    if (e.method === 8) {
      try {
        return inflateSync(raw, { out: new Uint8Array(e.size) });
      } catch (err) {
        throw weightsError('WEIGHTS_CORRUPT', this.file, `the zip entry ${name} does not inflate: ${err instanceof Error ? err.message : String(err)}`, {
          key: name,
        });
      }
    }
    throw weightsError('WEIGHTS_CORRUPT', this.file, `the zip entry ${name} uses compression method ${e.method} (only stored and deflate are read)`, {
      key: name,
    });
  }
}

/** The archive's directory; a truncated or damaged zip gives WEIGHTS_CORRUPT. */
export function readZipDirectory(bytes: Uint8Array, file: string): ZipArchive {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (v.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw weightsError('WEIGHTS_CORRUPT', file, 'the zip has no directory at its end: the file is truncated or not a zip');
  let count = v.getUint16(eocd + 10, true);
  let cdSize = v.getUint32(eocd + 12, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || v.getUint32(loc, true) !== EOCD64_LOCATOR) throw weightsError('WEIGHTS_CORRUPT', file, 'the zip64 directory locator is missing');
    const at = u64(v, loc + 8);
    if (at + 56 > bytes.length || v.getUint32(at, true) !== EOCD64) throw weightsError('WEIGHTS_CORRUPT', file, 'the zip64 directory record is missing');
    count = u64(v, at + 32);
    cdSize = u64(v, at + 40);
    cdOffset = u64(v, at + 48);
  }
  if (cdOffset + cdSize > bytes.length) throw weightsError('WEIGHTS_CORRUPT', file, 'the zip directory lies past the end of the file');
  const entries = new Map<string, ZipEntry>();
  let p = cdOffset;
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || v.getUint32(p, true) !== CENTRAL) throw weightsError('WEIGHTS_CORRUPT', file, `zip directory entry ${i} is damaged`);
    const method = v.getUint16(p + 10, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localOffset = v.getUint32(p + 42, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field (0x0001): the 64-bit values of the fields set to 0xffffffff, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = v.getUint16(x, true);
      const len = v.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff) {
          size = u64(v, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(v, q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(v, q);
      }
      x += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localOffset });
    p = xEnd + commentLen;
  }
  return new ZipArchive(bytes, file, entries);
}
