/**
 * InputFiles from a folder on disk, for Node scripts, tests of real folders and benchmarks: paths
 * start with the folder's own name, as `webkitRelativePath` does when a folder is dropped.
 *
 * Node only (fs): never import this from code that runs in the browser.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { InputFile } from './types';

export async function listFolder(dir: string): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const a = join(abs, e.name);
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(a, r);
      else if (e.isFile()) {
        const size = (await stat(a)).size;
        out.push({ path: r, size, read: async () => new Uint8Array(await readFile(a)) });
      }
    }
  };
  await walk(dir, basename(dir.replace(/\/+$/, '')));
  return out;
}
