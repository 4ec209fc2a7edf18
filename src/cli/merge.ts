/**
 * `npm run experiment -- merge <part dir> <part dir> … --out <dir>`: the parts of a sharded
 * experiment (each written by `--shard i/n`) checked and put back together into the results.json,
 * table.csv and table.md an unsharded run writes.
 *
 * A part is refused by name when it is missing, unreadable, of another spec or dataset (by content
 * hash) or part count, given twice, overlapping another, or unfinished (its task crashed, was
 * cancelled or is still running); every problem is printed, and nothing is written while any remains.
 *
 * Owns: reading the parts from disk and writing the merged files. Node only; the checks and the
 * merge itself are `experiment/shards.ts`.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ResultsError } from '../core/errors';
import { experimentOutputs } from '../experiment/outputs';
import { readResults } from '../experiment/resultsFile';
import { combineParts, type PartInput, type PartProblem } from '../experiment/shards';
import { writeFileAtomic } from './diskFileStore';
import { specHash } from './provenance';

const USAGE = 'usage: npm run experiment -- merge <part dir> <part dir> ... --out <dir>';

/** Read, check and merge the parts; the problems, or the merged files' text. */
export async function mergeParts(dirs: string[]): Promise<{ problems: PartProblem[]; outputs: ReturnType<typeof experimentOutputs> | null; failed: string[] }> {
  const problems: PartProblem[] = [];
  const parts: PartInput[] = [];
  for (const dir of dirs) {
    const file = dir.endsWith('.json') ? dir : join(dir, 'results.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      const isDir = await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      problems.push({
        code: 'PART_MISSING',
        subject: dir,
        message: isDir ? `has no results.json: its task did not start, or failed before its first write` : 'does not exist',
      });
      continue;
    }
    try {
      const result = readResults(text, file);
      // The hash the part recorded must be the hash of the spec it holds.
      if (result.provenance && specHash(result.spec) !== result.provenance.specHash)
        problems.push({
          code: 'PART_MISMATCH',
          subject: dir,
          message: 'holds a spec whose hash is not the one it recorded: the file was changed after it was written',
        });
      else parts.push({ source: dir, result });
    } catch (e) {
      if (e instanceof ResultsError) problems.push({ code: e.code, subject: dir, message: e.message });
      else throw e;
    }
  }
  if (problems.length) return { problems, outputs: null, failed: [] };
  const merged = combineParts(parts);
  if (!merged.result) return { problems: merged.problems, outputs: null, failed: [] };
  const failed = merged.result.runs.filter((r) => r.status !== 'done').map((r) => `${r.method}:${r.seed} ${r.status}${r.error ? ` (${r.error.code})` : ''}`);
  return { problems: [], outputs: experimentOutputs(merged.result), failed };
}

/** The merge command; exit code 0 merged, 2 refused (every problem printed), 3 merged with failed runs. */
export async function mergeMain(argv: string[]): Promise<number> {
  const dirs: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') out = argv[++i];
    else if (a.startsWith('--out=')) out = a.slice(6);
    else if (a.startsWith('--')) {
      console.error(`error: unknown option ${a}\n${USAGE}`);
      return 2;
    } else dirs.push(a);
  }
  if (!out || dirs.length === 0) {
    console.error(`error: ${!out ? '--out is required' : 'no parts given'}\n${USAGE}`);
    return 2;
  }
  if (dirs.some((d) => resolve(d) === resolve(out))) {
    console.error(`error: --out ${out} is one of the parts: merge into another folder`);
    return 2;
  }
  const { problems, outputs, failed } = await mergeParts(dirs);
  if (!outputs) {
    for (const p of problems) console.error(`error: ${p.code} (${p.subject}): ${p.message}`);
    console.error(`nothing merged: ${problems.length} problem${problems.length === 1 ? '' : 's'} with the parts`);
    return 2;
  }
  for (const [name, text] of Object.entries(outputs)) await writeFileAtomic(join(out, name), text);
  console.log(`merged ${dirs.length} parts\n\n${outputs['table.md']}`);
  for (const f of failed) console.log(`warning: run ${f}: its cell is left out of the table`);
  console.log(`wrote ${['results.json', 'table.csv', 'table.md'].map((n) => join(out, n)).join(', ')}`);
  return failed.length ? 3 : 0;
}
