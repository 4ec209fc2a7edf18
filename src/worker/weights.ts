/**
 * Weights files the user picked in Configure, kept in the origin's storage (OPFS where it exists)
 * under `weights/<name>`, so an experiment that names them (`teacher.weights`,
 * `students[k].weights`) can read them when it starts and again when it resumes after a reload.
 *
 * Owns: the stored weights files. Runs in the studio worker.
 */
import { EngineError } from '../core/errors';
import type { FileStore } from '../core/files';

const DIR = 'weights/';

/** The name a picked file is kept under: its own name, without any folder. */
export function storedWeightsName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // Control characters would make an unreadable OPFS name.
  return Array.from(base, (ch) => (ch.charCodeAt(0) < 0x20 ? '_' : ch)).join('');
}

export class WeightsFiles {
  constructor(private readonly files: FileStore) {}

  /** Keep `bytes` as `name` (replacing a file of the same name); returns the name the spec uses. */
  async save(name: string, bytes: Uint8Array): Promise<string> {
    const stored = storedWeightsName(name);
    if (!stored) throw new EngineError('INVALID_CONFIG', `A weights file needs a name (got "${name}")`, name);
    await this.files.write(`${DIR}${stored}`, bytes);
    return stored;
  }

  read(name: string): Promise<Uint8Array | null> {
    return this.files.read(`${DIR}${storedWeightsName(name)}`);
  }

  async list(): Promise<string[]> {
    return (await this.files.list(DIR)).map((p) => p.slice(DIR.length));
  }
}
