/**
 * InputFiles from what a browser gives: File objects from an <input webkitdirectory> (which carry
 * `webkitRelativePath`), or from a drop (whose path the caller collects while walking
 * FileSystemEntry folders). Listing costs nothing; bytes are read only when the import asks.
 *
 * Uses only File/Blob, which exist in windows and workers alike (File objects can be posted to a
 * worker and read there).
 */
import type { InputFile } from './types';

/** A File with the path it had in the dropped folder, when the caller knows it better than the browser. */
export type FileWithPath = File & { relativePath?: string };

export function inputFileOf(f: FileWithPath): InputFile {
  const path = (f.relativePath || f.webkitRelativePath || f.name).replace(/\\/g, '/').replace(/^\/+/, '');
  return {
    path,
    size: f.size,
    read: async () => new Uint8Array(await f.arrayBuffer()),
  };
}

export function inputFilesOf(files: Iterable<FileWithPath> | ArrayLike<FileWithPath>): InputFile[] {
  return Array.from(files as ArrayLike<FileWithPath>, inputFileOf);
}
