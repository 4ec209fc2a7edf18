/**
 * What a relative path alone says about a file: its folder, name, stem and extension, whether its
 * name promises an image, and whether it is certainly not one (READMEs, licences, OS litter), so
 * that a listing of 50,000 files can be sorted without reading any of them.
 *
 * Pure string functions: no I/O.
 */
import type { ImageFormat } from './types';

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** The folder of a path, '' at the top. */
export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Lower-case extension without the dot, '' when there is none ('.DS_Store' has none). */
export function extension(path: string): string {
  const name = basename(path);
  const i = name.lastIndexOf('.');
  return i <= 0 ? '' : name.slice(i + 1).toLowerCase();
}

/** The name without its extension. */
export function stem(path: string): string {
  const name = basename(path);
  const i = name.lastIndexOf('.');
  return i <= 0 ? name : name.slice(0, i);
}

/** `path` relative to folder `root` ('' is the top), or null when it is not inside it. */
export function relativeTo(path: string, root: string): string | null {
  if (root === '') return path;
  return path.startsWith(root + '/') ? path.slice(root.length + 1) : null;
}

export function joinPath(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

const EXT_FORMAT: Record<string, ImageFormat> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  jfif: 'jpeg',
  png: 'png',
  bmp: 'bmp',
  dib: 'bmp',
  webp: 'webp',
  gif: 'gif',
  tif: 'tiff',
  tiff: 'tiff',
};

/** The format a file's extension promises, or null. Content decides in the end (see sniff.ts). */
export function formatFromExtension(path: string): ImageFormat | null {
  return EXT_FORMAT[extension(path)] ?? null;
}

const NON_IMAGE_EXT = new Set([
  'txt',
  'md',
  'markdown',
  'rst',
  'json',
  'csv',
  'tsv',
  'xml',
  'html',
  'htm',
  'pdf',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'ods',
  'odt',
  'py',
  'ipynb',
  'r',
  'm',
  'js',
  'ts',
  'sh',
  'bat',
  'yaml',
  'yml',
  'ini',
  'cfg',
  'toml',
  'log',
  'zip',
  'gz',
  'tgz',
  'tar',
  '7z',
  'rar',
  'bz2',
  'xz',
  'db',
  'sqlite',
  'mat',
  'npy',
  'npz',
  'h5',
  'hdf5',
  'pkl',
  'pickle',
  'pt',
  'pth',
  'onnx',
  'ckpt',
  'mp4',
  'avi',
  'mov',
  'mkv',
  'exe',
  'dll',
  'lnk',
  'url',
]);

const NON_IMAGE_NAMES =
  /^(readme|license|licence|copying|notice|changelog|authors|contributors|citation|thumbs\.db|desktop\.ini|\.ds_store|\.gitignore|\.gitattributes)(\..*)?$/i;

/** Files and folders that operating systems and archivers leave behind; never images. */
function isLitter(path: string): boolean {
  const name = basename(path);
  return name.startsWith('._') || path.split('/').some((seg) => seg === '__MACOSX' || seg === '.git' || seg === '.ipynb_checkpoints');
}

/**
 * 'image': the name promises an image; 'other': certainly not an image (a README, a CSV, OS litter),
 * reported without being read; 'unknown': no telling from the name, so it is read and sniffed if needed.
 */
export function pathKind(path: string): 'image' | 'other' | 'unknown' {
  if (isLitter(path)) return 'other';
  if (formatFromExtension(path)) return 'image';
  const name = basename(path);
  if (NON_IMAGE_NAMES.test(name) || NON_IMAGE_EXT.has(extension(path))) return 'other';
  return 'unknown';
}

/** Annotation files a layout may use (box lists, Kvasir's bbox JSON). */
export function isAnnotationPath(path: string): boolean {
  if (isLitter(path)) return false;
  const ext = extension(path);
  return ext === 'csv' || ext === 'tsv' || ext === 'json';
}

/** Byte-wise comparison, so that orders never depend on the locale. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
