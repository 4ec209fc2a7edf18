/**
 * The few file operations the studio's storage needs (checkpoints, the experiment journal): the
 * origin's private file system in the browser, the disk in Node, memory in tests.
 *
 * Owns: the `FileStore` contract and its in-memory implementation. Imports nothing.
 */

/** Paths are '/'-separated. `write` must replace a file whole or not at all. */
export interface FileStore {
  write(path: string, bytes: Uint8Array): Promise<void>;
  read(path: string): Promise<Uint8Array | null>;
  remove(path: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

export class MemoryFileStore implements FileStore {
  readonly files = new Map<string, Uint8Array>();
  async write(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, bytes.slice());
  }
  async read(path: string): Promise<Uint8Array | null> {
    return this.files.get(path) ?? null;
  }
  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }
  async list(prefix: string): Promise<string[]> {
    return Array.from(this.files.keys()).filter((k) => k.startsWith(prefix));
  }
}
