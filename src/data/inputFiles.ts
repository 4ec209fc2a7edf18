/**
 * InputFiles from what a browser gives: File objects from an <input webkitdirectory> (which carry
 * `webkitRelativePath`), from a drop (whose path the caller collects while walking
 * FileSystemEntry folders) or from a directory handle. Listing costs nothing; bytes are read only
 * when the import asks.
 *
 * Files cross to the worker as `{ file, path }` pairs, the path explicit: a structured clone of a
 * File keeps its bytes, name and type only, so a property set on it (and, in Firefox and Safari,
 * its `webkitRelativePath`) is gone on the worker's side, and class folders with it.
 *
 * Uses only File/Blob, which exist in windows and workers alike.
 */
import type { InputFile } from './types';

/** A file and the path it had in the dropped or picked folder. */
export interface FileWithPath {
  file: File;
  path: string;
}

/** The pair for `file`: the path the caller collected, else the browser's relative path, else the name. */
export function withPath(file: File, path?: string): FileWithPath {
  return { file, path: path || file.webkitRelativePath || file.name };
}

export function inputFileOf(f: FileWithPath): InputFile {
  return {
    path: f.path.replace(/\\/g, '/').replace(/^\/+/, ''),
    size: f.file.size,
    read: async () => new Uint8Array(await f.file.arrayBuffer()),
  };
}

export function inputFilesOf(files: Iterable<FileWithPath> | ArrayLike<FileWithPath>): InputFile[] {
  return Array.from(files as ArrayLike<FileWithPath>, inputFileOf);
}
