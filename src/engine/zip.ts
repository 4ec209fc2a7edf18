/**
 * Reading a zip someone sent, as untrusted input: the central directory first (entry count, names,
 * declared sizes, methods, overlap of the entries' byte ranges), checked against the file's own
 * size and the caller's limits before a single byte is inflated; then only the entries asked for,
 * each inflated into a buffer of its declared size (fflate's streaming `Inflate` through
 * `inflateBounded`), never beyond it, and checked against its CRC-32.
 *
 * fflate's `unzipSync` is not used for this: it inflates every entry it is not told to skip into a
 * buffer of the entry's declared size, silently drops what does not fit, checks no CRC and no
 * overlap, and needs the whole file in memory. Here a `Blob` (the user's File) is read by slices,
 * so opening a bundle costs its needed entries, not the whole file.
 *
 * Owns: the zip directory, its checks and bounded entry reads. No DOM beyond `Blob`, no tfjs.
 */
import { Inflate } from 'fflate';
import { EngineError } from '../core/errors';
import { crc32, DEFLATE_MAX_RATIO, inflateBounded } from '../core/inflate';

export interface ZipLimits {
  /** The whole file. */
  maxFileBytes: number;
  maxEntries: number;
}

export interface ZipEntry {
  name: string;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  /** Where the entry's local header starts, and where its data starts (after the local header). */
  localOffset: number;
  dataOffset: number;
}

/** Random access to the zip's bytes: a Uint8Array in memory, or a Blob read by slices. */
export interface ZipSource {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export function zipSource(x: Uint8Array | Blob): ZipSource {
  if (x instanceof Uint8Array) return { size: x.length, read: async (s, e) => x.subarray(s, e) };
  return { size: x.size, read: async (s, e) => new Uint8Array(await x.slice(s, e).arrayBuffer()) };
}

const le16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const le32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD_MAX = 22 + 0xffff;

const invalid = (message: string, subject = 'bundle'): EngineError => new EngineError('INVALID_CONFIG', message, subject);

/** Why a name is refused, or null: a bundle's entries are plain relative paths. */
function badName(name: string): string | null {
  if (name.length === 0 || name.length > 255) return 'an empty or over-long name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(name)) return 'a control character or backslash in its name';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'an absolute path';
  if (name.split('/').some((s, i, all) => s === '..' || s === '.' || (s === '' && i < all.length - 1))) return 'a "..", "." or empty path segment';
  return null;
}

/**
 * The zip's entries from its central directory, checked: the file within `maxFileBytes`, at most
 * `maxEntries` entries, plain unique names, stored or deflated, no encryption, sizes a deflate
 * stream could produce, and every entry's bytes inside the file and apart from every other's.
 * Directory entries are left out.
 */
export async function readZipDirectory(src: ZipSource, limits: ZipLimits): Promise<ZipEntry[]> {
  if (src.size > limits.maxFileBytes) {
    throw new EngineError(
      'BUNDLE_TOO_LARGE',
      `The file is ${(src.size / 2 ** 20).toFixed(0)} MiB, over the ${(limits.maxFileBytes / 2 ** 20).toFixed(0)} MiB a bundle may be`,
      'bundle',
    );
  }
  if (src.size < 22) throw invalid('This file is not a zip bundle: it is too short to hold a zip directory');
  const tailStart = Math.max(0, src.size - EOCD_MAX);
  const tail = await src.read(tailStart, src.size);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (le32(tail, i) === EOCD && i + 22 + le16(tail, i + 20) === tail.length) {
      e = i;
      break;
    }
  }
  if (e < 0) throw invalid('This file is not a zip bundle: no end of central directory');
  const eocdAt = tailStart + e;
  const count = le16(tail, e + 10);
  const cdSize = le32(tail, e + 12);
  const cdOffset = le32(tail, e + 16);
  if (le16(tail, e + 4) !== 0 || le16(tail, e + 6) !== 0 || le16(tail, e + 8) !== count) throw invalid('A zip split over several disks is not a bundle');
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw invalid('A zip64 archive is not a bundle (bundles are under 4 GiB)');
  if (count > limits.maxEntries) {
    throw new EngineError('BUNDLE_TOO_LARGE', `The zip lists ${count} entries, over the ${limits.maxEntries} a bundle may hold`, 'bundle');
  }
  if (cdOffset + cdSize > eocdAt) throw invalid('The zip directory lies outside the file');
  const cd = await src.read(cdOffset, cdOffset + cdSize);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || le32(cd, p) !== CENTRAL) throw invalid(`The zip directory is damaged at entry ${k}`);
    const flags = le16(cd, p + 8);
    const method = le16(cd, p + 10);
    const crc = le32(cd, p + 16);
    const compressedSize = le32(cd, p + 20);
    const size = le32(cd, p + 24);
    const nameLen = le16(cd, p + 28);
    const extraLen = le16(cd, p + 30);
    const commentLen = le16(cd, p + 32);
    const localOffset = le32(cd, p + 42);
    if (p + 46 + nameLen > cd.length) throw invalid(`The zip directory is damaged at entry ${k}`);
    const name = new TextDecoder('utf-8', { fatal: false }).decode(cd.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    const why = badName(name);
    if (why) throw invalid(`The zip entry "${name.slice(0, 80)}" has ${why}`, name.slice(0, 80));
    if (names.has(name)) throw invalid(`The zip lists "${name}" twice`, name);
    names.add(name);
    if (flags & 1) throw invalid(`The zip entry "${name}" is encrypted`, name);
    if (method !== 0 && method !== 8) throw invalid(`The zip entry "${name}" uses compression method ${method} (only stored and deflate are read)`, name);
    if (method === 0 && compressedSize !== size) throw invalid(`The stored zip entry "${name}" declares ${size} bytes but holds ${compressedSize}`, name);
    if (method === 8 && size > (compressedSize + 1) * DEFLATE_MAX_RATIO) {
      throw invalid(`The zip entry "${name}" declares ${size} bytes, more than its ${compressedSize} compressed bytes can hold`, name);
    }
    if (name.endsWith('/')) {
      if (size !== 0) throw invalid(`The zip folder entry "${name}" holds data`, name);
      continue;
    }
    entries.push({ name, method: method as 0 | 8, crc, compressedSize, size, localOffset, dataOffset: -1 });
  }
  // Each entry's local header and data: inside the file, before the directory, apart from the others.
  for (const en of entries) {
    if (en.localOffset + 30 > cdOffset) throw invalid(`The zip entry "${en.name}" lies outside the file`, en.name);
    const head = await src.read(en.localOffset, en.localOffset + 30);
    if (le32(head, 0) !== LOCAL) throw invalid(`The zip entry "${en.name}" has no local header where the directory says`, en.name);
    const nameLen = le16(head, 26);
    const extraLen = le16(head, 28);
    const localName = new TextDecoder().decode(await src.read(en.localOffset + 30, en.localOffset + 30 + nameLen));
    if (localName !== en.name || le16(head, 8) !== en.method) throw invalid(`The zip entry "${en.name}" disagrees with its local header`, en.name);
    en.dataOffset = en.localOffset + 30 + nameLen + extraLen;
    if (en.dataOffset + en.compressedSize > cdOffset) throw invalid(`The zip entry "${en.name}" ends past the zip's data`, en.name);
  }
  const byStart = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1];
    if (prev.dataOffset + prev.compressedSize > byStart[i].localOffset) {
      throw invalid(`The zip entries "${prev.name}" and "${byStart[i].name}" overlap (a crafted zip)`, byStart[i].name);
    }
  }
  return entries;
}

/** One entry's bytes: exactly its declared size, checked against its CRC-32. */
export async function readZipEntry(src: ZipSource, en: ZipEntry): Promise<Uint8Array> {
  const raw = await src.read(en.dataOffset, en.dataOffset + en.compressedSize);
  let data = raw;
  if (en.method === 8) {
    const r = inflateBounded(raw, en.size, (ondata) => new Inflate(ondata));
    if (!r.ok) {
      const what = r.reason === 'more' ? 'more data than the zip declares' : r.reason === 'less' ? 'less data than the zip declares' : 'corrupt deflate data';
      throw invalid(`The zip entry "${en.name}" holds ${what}`, en.name);
    }
    data = (r as { data: Uint8Array }).data;
  }
  if (crc32(data) !== en.crc) throw invalid(`The zip entry "${en.name}" is damaged: its checksum does not match`, en.name);
  return data;
}
