/**
 * Reading a results.json back: the file `experimentOutputs` writes (the command line, "Download
 * results"), checked field by field so a wrong or damaged file is refused by name before anything
 * is shown or merged. Non-finite numbers, which JSON cannot hold and the writer stores as the
 * strings "NaN", "Infinity" and "-Infinity", become numbers again, so a table built from the runs
 * read back is the table built from the runs written.
 *
 * Owns: `readResults`. No TensorFlow.js, no Node, no DOM: the page opens results.json with it.
 */
import { MODES } from '../core/config';
import { ResultsError, SpecError } from '../core/errors';
import type { ExperimentResult, RunRecord } from '../core/results';
import { parseSpec } from '../core/spec';
import { aggregate } from './aggregate';

/** Fields that hold text (names, messages), left as they are. */
const TEXT_FIELDS = new Set(['message', 'name', 'label', 'arch', 'classNames', 'code', 'backend', 'layout']);
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** JSON of `value` with non-finite numbers as the strings "NaN", "Infinity" and "-Infinity" (`reviveNonFinite` reads them back). */
export function stringifyNonFinite(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), space);
}

/** The strings the writer made of non-finite numbers, as numbers again (in place). */
export function reviveNonFinite(v: unknown): unknown {
  return revive(v);
}

function revive(v: unknown): unknown {
  if (typeof v === 'string' && v in NON_FINITE) return NON_FINITE[v];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
  } else if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    // Text fields hold text, even text that reads "NaN".
    for (const k of Object.keys(o)) if (!TEXT_FIELDS.has(k)) o[k] = revive(o[k]);
  }
  return v;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A results.json's text as an experiment result, or INVALID_RESULTS naming `source` and the
 * field that is wrong (`details.field`).
 */
export function readResults(text: string, source = 'results.json'): ExperimentResult {
  const bad = (field: string, message: string) => new ResultsError('INVALID_RESULTS', `${source}: ${field} ${message}`, source, { field });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad('(file)', `is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(raw) || raw.format !== 'cohort-studio-results') throw bad('format', 'is not "cohort-studio-results": this is not a results.json of Cohort Studio');
  if (raw.version !== 1) throw bad('version', `must be 1, got ${JSON.stringify(raw.version)}`);
  let spec;
  try {
    spec = parseSpec(raw.spec);
  } catch (e) {
    throw bad('spec', e instanceof SpecError ? e.issues.map((i) => `${i.field} ${i.message}`).join('; ') : 'cannot be read');
  }
  if (!isObj(raw.dataset) || typeof raw.dataset.name !== 'string') throw bad('dataset', 'must be an object with a name');
  if (!['done', 'cancelled', 'stopped', 'running'].includes(raw.status as string)) throw bad('status', `is not a status, got ${JSON.stringify(raw.status)}`);
  if (!Array.isArray(raw.runs)) throw bad('runs', 'must be an array');
  raw.runs.forEach((r, i) => {
    if (!isObj(r)) throw bad(`runs[${i}]`, 'must be an object');
    if (!(MODES as readonly unknown[]).includes(r.method)) throw bad(`runs[${i}].method`, `is not a method, got ${JSON.stringify(r.method)}`);
    if (!spec.methods.includes(r.method as (typeof MODES)[number])) throw bad(`runs[${i}].method`, `"${String(r.method)}" is not a method of the spec`);
    if (!spec.seeds.includes(r.seed as number)) throw bad(`runs[${i}].seed`, `${JSON.stringify(r.seed)} is not a seed of the spec`);
    if (!['done', 'failed', 'cancelled'].includes(r.status as string)) throw bad(`runs[${i}].status`, `is not a run status, got ${JSON.stringify(r.status)}`);
    if (!isObj(r.config) || !Array.isArray(r.networks) || !Array.isArray(r.history)) throw bad(`runs[${i}]`, 'lacks its config, networks or history');
    if (r.status === 'done' && !isObj(r.final)) throw bad(`runs[${i}].final`, 'is missing for a finished run');
  });
  if (raw.teacherTrainings !== undefined && !Array.isArray(raw.teacherTrainings)) throw bad('teacherTrainings', 'must be an array');
  const runs = revive(raw.runs) as RunRecord[];
  const result: ExperimentResult = {
    format: 'cohort-studio-results',
    version: 1,
    spec,
    dataset: raw.dataset as unknown as ExperimentResult['dataset'],
    backend: typeof raw.backend === 'string' ? raw.backend : '',
    startedAt: typeof raw.startedAt === 'string' ? raw.startedAt : '',
    finishedAt: typeof raw.finishedAt === 'string' ? raw.finishedAt : '',
    status: raw.status as ExperimentResult['status'],
    runs,
    teacherTrainings: (revive(raw.teacherTrainings ?? []) as ExperimentResult['teacherTrainings']) ?? [],
    // The table is built again from the runs: it is what they say, whatever the file's table says.
    table: aggregate(runs, spec.methods, spec.seeds),
  };
  if (isObj(raw.provenance)) {
    const pv = raw.provenance;
    if (typeof pv.specHash !== 'string' || typeof pv.datasetHash !== 'string') throw bad('provenance', 'must hold specHash and datasetHash');
    const part = pv.part;
    if (part !== undefined) {
      if (
        !isObj(part) ||
        !Number.isInteger(part.index) ||
        !Number.isInteger(part.count) ||
        !Array.isArray(part.runs) ||
        !part.runs.every((k) => typeof k === 'string')
      )
        throw bad('provenance.part', 'must be { index, count, runs }');
    }
    result.provenance = {
      specHash: pv.specHash,
      datasetHash: pv.datasetHash,
      ...(part ? { part: { index: part.index as number, count: part.count as number, runs: part.runs as string[] } } : {}),
    };
  }
  return result;
}
