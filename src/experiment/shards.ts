/**
 * A sharded experiment: the spec's runs split into n deterministic parts (one per task of a Slurm
 * job array or a Kubernetes Indexed Job), and the parts' results put back together into the one
 * result an unsharded run would have written.
 *
 * The partition keeps every seed's shared teacher inside one part: KD and KD+ML offline of a seed
 * train on one pre-trained teacher, so they are one unit. Seeds are split first (whole seeds per
 * part, contiguous); only when there are more parts than seeds is a seed split further, by method,
 * into as many parts as it has units (its teacher unit and each other method), balanced by cost.
 *
 * Owns: `partitionRuns`, `parseShard`, `combineParts` and their checks. Pure: no TensorFlow.js, no
 * Node, no DOM (the content hashes the checks compare are computed by the command line).
 */
import { MODE_LABELS, usesFrozenTeacher, type Mode } from '../core/config';
import { ResultsError, type ResultsErrorCode } from '../core/errors';
import type { ExperimentResult, RunRecord } from '../core/results';
import type { ExperimentSpec } from '../core/spec';
import { aggregate } from './aggregate';
import { expandRuns } from './runs';

type Shape = Pick<ExperimentSpec, 'methods' | 'seeds'> & { hyper: Pick<ExperimentSpec['hyper'], 'epochs' | 'teacherEpochs'> };

export interface RunKey {
  method: Mode;
  seed: number;
}

/** One part of a sharded experiment: `index` from 1 to `count`, its runs in the order they train. */
export interface PartPlan {
  index: number;
  count: number;
  runs: RunKey[];
}

export const runKeyOf = (r: RunKey): string => `${r.method}:${r.seed}`;
export const runLabel = (r: RunKey): string => `${MODE_LABELS[r.method]} seed ${r.seed}`;

/** The units a seed can be split into: its shared-teacher methods together, each other method alone. */
function unitsOf(spec: Shape): { methods: Mode[]; cost: number }[] {
  const epochs = spec.hyper.epochs;
  const teacherEpochs = spec.hyper.teacherEpochs ?? epochs;
  const shared = spec.methods.filter(usesFrozenTeacher);
  const units = spec.methods.filter((m) => !usesFrozenTeacher(m)).map((m) => ({ methods: [m], cost: 1 }));
  // The teacher unit costs its runs plus one teacher pre-training (in run-lengths of training).
  if (shared.length) units.unshift({ methods: shared, cost: shared.length + teacherEpochs / epochs });
  return units;
}

/** The most parts the spec's runs can be split into without splitting a shared teacher. */
export function maxParts(spec: Shape): number {
  return spec.seeds.length * unitsOf(spec).length;
}

/**
 * The spec's runs in `count` parts. Every run is in exactly one part, no part is empty, a seed's
 * shared-teacher runs are in one part, and the same spec and count always give the same parts.
 * Throws INVALID_SHARD when `count` is not between 1 and `maxParts(spec)`.
 */
export function partitionRuns(spec: Shape, count: number): PartPlan[] {
  const max = maxParts(spec);
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new ResultsError(
      'INVALID_SHARD',
      `This experiment splits into 1 to ${max} parts (${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'} x ${unitsOf(spec).length} unit${unitsOf(spec).length === 1 ? '' : 's'}: a seed's shared-teacher methods stay together), not ${count}`,
      'shard',
      { max },
    );
  }
  const order = new Map(expandRuns(spec).map((r, i) => [runKeyOf(r), i]));
  const inOrder = (runs: RunKey[]) => runs.sort((a, b) => order.get(runKeyOf(a))! - order.get(runKeyOf(b))!);
  const groups: RunKey[][] = [];
  const seeds = spec.seeds;
  if (count <= seeds.length) {
    // Whole seeds, in contiguous blocks; the first (seeds mod count) blocks hold one more.
    let at = 0;
    for (let p = 0; p < count; p++) {
      const size = Math.floor(seeds.length / count) + (p < seeds.length % count ? 1 : 0);
      const mine = seeds.slice(at, at + size);
      at += size;
      groups.push(inOrder(mine.flatMap((seed) => spec.methods.map((method) => ({ method, seed })))));
    }
  } else {
    // Every seed gets floor(count/seeds) parts, the first (count mod seeds) one more; each seed's
    // units go to its parts longest first, each to the part with the least work so far.
    const units = unitsOf(spec);
    const sorted = units.map((u, i) => ({ ...u, i })).sort((a, b) => b.cost - a.cost || a.i - b.i);
    seeds.forEach((seed, s) => {
      const k = Math.floor(count / seeds.length) + (s < count % seeds.length ? 1 : 0);
      const parts = Array.from({ length: k }, () => ({ cost: 0, runs: [] as RunKey[] }));
      for (const u of sorted) {
        let best = 0;
        for (let p = 1; p < k; p++) if (parts[p].cost < parts[best].cost) best = p;
        parts[best].cost += u.cost;
        parts[best].runs.push(...u.methods.map((method) => ({ method, seed })));
      }
      for (const p of parts) groups.push(inOrder(p.runs));
    });
  }
  return groups.map((runs, i) => ({ index: i + 1, count, runs }));
}

/** `"i/n"` as a part, checked against the spec (INVALID_SHARD naming the problem). */
export function parseShard(text: string, spec: Shape): PartPlan {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ResultsError('INVALID_SHARD', `--shard must be i/n (the i-th of n parts, from 1/n to n/n), got "${text}"`, 'shard');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new ResultsError('INVALID_SHARD', `--shard ${text}: i must be between 1 and n`, 'shard');
  return partitionRuns(spec, count)[index - 1];
}

/** One problem with the parts given to a merge; `subject` is the part's folder (or file). */
export interface PartProblem {
  code: ResultsErrorCode;
  subject: string;
  message: string;
}

/** A part's results as read from its folder. */
export interface PartInput {
  /** Where it was read from, for the messages (its folder). */
  source: string;
  result: ExperimentResult;
}

/**
 * Check the parts of a sharded experiment and put them together. The parts must carry the
 * command line's provenance, all of the same spec, dataset and part count, every one finished,
 * and together hold every run of the spec exactly once. Every problem is named (nothing is
 * merged while any remains). The merged result is what an unsharded run writes: the runs in the
 * order the scheduler trains them, the table built from them.
 */
export function combineParts(parts: PartInput[]): { result: ExperimentResult; problems: [] } | { result: null; problems: PartProblem[] } {
  const problems: PartProblem[] = [];
  const problem = (code: ResultsErrorCode, subject: string, message: string) => problems.push({ code, subject, message });
  if (parts.length === 0) return { result: null, problems: [{ code: 'PART_MISSING', subject: '(none)', message: 'No parts to merge' }] };

  const usable = parts.filter((p) => {
    if (!p.result.provenance?.part) {
      problem('PART_MISMATCH', p.source, 'is not a part of a sharded experiment (no provenance.part: was it run with --shard i/n?)');
      return false;
    }
    return true;
  });
  if (usable.length === 0) return { result: null, problems };
  const first = usable[0];
  const ref = first.result.provenance!;
  for (const p of usable.slice(1)) {
    const pv = p.result.provenance!;
    if (pv.specHash !== ref.specHash)
      problem(
        'PART_MISMATCH',
        p.source,
        `was made from another spec (${short(pv.specHash)} "${p.result.spec.name}") than ${first.source} (${short(ref.specHash)} "${first.result.spec.name}")`,
      );
    if (pv.datasetHash !== ref.datasetHash)
      problem('PART_MISMATCH', p.source, `was trained on another dataset (${short(pv.datasetHash)}) than ${first.source} (${short(ref.datasetHash)})`);
    if (pv.part!.count !== ref.part!.count)
      problem(
        'PART_MISMATCH',
        p.source,
        `is part ${pv.part!.index}/${pv.part!.count}, of another split than ${first.source} (part ${ref.part!.index}/${ref.part!.count})`,
      );
  }
  if (problems.length) return { result: null, problems };

  const spec = first.result.spec;
  const count = ref.part!.count;
  // The same part twice.
  const byIndex = new Map<number, string[]>();
  for (const p of usable) byIndex.set(p.result.provenance!.part!.index, [...(byIndex.get(p.result.provenance!.part!.index) ?? []), p.source]);
  for (const [index, sources] of byIndex)
    if (sources.length > 1) problem('PART_OVERLAP', sources[1], `part ${index}/${count} is given twice: ${sources.join(' and ')}`);

  // Unfinished parts: a crashed task leaves status 'running', a cancelled or stopped one its status;
  // a part must also hold a record of every run it was given.
  for (const p of usable) {
    const pv = p.result.provenance!.part!;
    const recorded = new Set(p.result.runs.map(runKeyOf));
    const lacking = pv.runs.filter((k) => !recorded.has(k));
    if (p.result.status !== 'done' || lacking.length) {
      const what = p.result.status === 'running' ? 'did not finish (its task crashed or is still running)' : `stopped early (status ${p.result.status})`;
      problem(
        'PART_INCOMPLETE',
        p.source,
        `part ${pv.index}/${count} ${p.result.status === 'done' ? 'lacks runs it was given' : what}; ${recorded.size} of ${pv.runs.length} runs recorded${lacking.length ? `, missing ${lacking.map(labelOfKey).join(', ')}` : ''}. Run its task again with --resume`,
      );
    }
  }

  // Every run of the spec exactly once (a part given twice is named above, not once per run).
  const holders = new Map<string, { index: number; source: string }[]>();
  for (const p of usable) {
    const index = p.result.provenance!.part!.index;
    for (const r of p.result.runs) holders.set(runKeyOf(r), [...(holders.get(runKeyOf(r)) ?? []), { index, source: p.source }]);
  }
  const all = expandRuns(spec);
  for (const [key, hs] of holders) {
    const indices = new Set(hs.map((h) => h.index));
    if (!all.some((r) => runKeyOf(r) === key)) problem('PART_MISMATCH', hs[0].source, `holds ${labelOfKey(key)}, which is not a run of the spec`);
    else if (indices.size > 1)
      problem(
        'PART_OVERLAP',
        hs[1].source,
        `${labelOfKey(key)} is in more than one part: ${hs.map((h) => `${h.source} (part ${h.index}/${count})`).join(', ')}`,
      );
    else if (hs.length > byIndex.get(hs[0].index)!.length) problem('PART_OVERLAP', hs[0].source, `${labelOfKey(key)} is recorded more than once`);
  }
  const missingRuns = all.filter((r) => !holders.has(runKeyOf(r)));
  const plan = (() => {
    try {
      return partitionRuns(spec, count);
    } catch {
      return null;
    }
  })();
  const missingParts = plan ? plan.filter((p) => !byIndex.has(p.index)) : [];
  for (const mp of missingParts)
    problem(
      'PART_MISSING',
      `part ${mp.index}/${count}`,
      `part ${mp.index}/${count} is not among the parts given (its runs: ${mp.runs.map(runLabel).join(', ')})`,
    );
  const outsideMissingParts = missingRuns.filter((r) => !missingParts.some((mp) => mp.runs.some((x) => runKeyOf(x) === runKeyOf(r))));
  if (outsideMissingParts.length) problem('PART_MISSING', '(runs)', `no part holds ${outsideMissingParts.map(runLabel).join(', ')}`);
  if (problems.length) return { result: null, problems };

  const order = new Map(all.map((r, i) => [runKeyOf(r), i]));
  const runs: RunRecord[] = usable.flatMap((p) => p.result.runs).sort((a, b) => order.get(runKeyOf(a))! - order.get(runKeyOf(b))!);
  const seedOrder = new Map(spec.seeds.map((s, i) => [s, i]));
  const teacherTrainings = usable.flatMap((p) => p.result.teacherTrainings).sort((a, b) => seedOrder.get(a.seed)! - seedOrder.get(b.seed)!);
  const results = usable.map((p) => p.result);
  const result: ExperimentResult = {
    format: 'cohort-studio-results',
    version: 1,
    spec,
    dataset: first.result.dataset,
    backend: Array.from(new Set(results.map((r) => r.backend))).join(', '),
    startedAt: results.map((r) => r.startedAt).sort()[0],
    finishedAt: results
      .map((r) => r.finishedAt)
      .sort()
      .reverse()[0],
    status: 'done',
    runs,
    teacherTrainings,
    table: aggregate(runs, spec.methods, spec.seeds),
    provenance: { specHash: ref.specHash, datasetHash: ref.datasetHash },
  };
  return { result, problems: [] };
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

function labelOfKey(key: string): string {
  const [method, seed] = key.split(':');
  return `${MODE_LABELS[method as Mode] ?? method} seed ${seed}`;
}
