/**
 * An experiment session: from a dataset (imported or generated) and a spec to a finished
 * experiment. It checks that the spec fits the dataset, brings the images to the spec's input
 * size, gives each seed its split, keeps the journal and the checkpoints (where it is given
 * storage), and runs the scheduler. The studio's worker and the command line both run experiments
 * through `runSession`, so they cannot drift apart.
 *
 * Owns: `Study` (a dataset as an experiment needs it), the session's checks and its storage
 * (`SessionStorage`: checkpoints and journal over one `FileStore`). No DOM: it runs in the worker
 * and in Node.
 */
import { EngineError, toErrorInfo, type ErrorCode, type ErrorInfo } from '../core/errors';
import type { FileStore } from '../core/files';
import type { ExperimentEvent, PlannedRun } from '../core/events';
import type { DatasetInfo, ExperimentResult } from '../core/results';
import type { Samples, TrainData } from '../core/samples';
import { parseSpec, type ExperimentSpec } from '../core/spec';
import { countsOf } from '../data/summary';
import { generateClassification, generateDetection } from '../data/synthetic';
import type { ImportResult, Task } from '../data/types';
import { CheckpointStore } from '../engine/checkpoint';
import type { RunResult } from '../engine/trainer';
import { loadSessionWeights, type ReadWeights } from './weights';
import { dataForSeed, resample, splitForSeed, type SplitPolicy } from './datasets';
import { chanceOf, groupEvaluationOf, splitRecordOf } from './runRecord';
import { Journal, type DatasetIdentity, type JournalEntry } from './journal';
import { expandRuns } from './runs';
import { runExperiment } from './scheduler';

/** A dataset as an experiment needs it. */
export interface Study {
  identity: DatasetIdentity;
  /** What results.json records of it. */
  info: DatasetInfo;
  /** Every usable image, at the size it was stored at. */
  samples: Samples;
  /** The split the folders gave (indices into `samples`), used for every seed; `val` stays validation. */
  given?: { train: number[]; test: number[]; val?: number[] };
  /** Why it cannot be trained on, if it cannot. */
  blocking: ErrorInfo[];
  /**
   * What the import did (resize, subset, groups, split by): the session writes it into the spec it
   * records, so results.json and an exported bundle state how the images were prepared.
   */
  imported?: Pick<ExperimentSpec['data'], 'resize' | 'subset' | 'groups' | 'splitBy'>;
}

/** An import as a study. Its samples are ordered train, val, test; a folder-given split is kept, its validation part too. */
export function studyFromImport(name: string, r: ImportResult, id = `import-${Date.now()}`): Study {
  const s = r.samples;
  const task: Task = r.task ?? 'classify';
  const givenSplit = r.report.settings.split === 'folders';
  const nTrain = r.split.train.count;
  const nVal = r.split.val?.count ?? 0;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const settings = r.report.settings;
  return {
    identity: { id, name, synthetic: false, task, total: s.count },
    info: { name, classNames: r.classNames, counts: countsOf(s, r.classNames), layout: r.report.layoutDescription },
    samples: s,
    given: givenSplit ? { train: range(0, nTrain), val: range(nTrain, nVal), test: range(nTrain + nVal, r.split.test.count) } : undefined,
    blocking: r.blocking.map((b) => b.toJSON()),
    imported: {
      resize: settings.resize,
      ...(settings.subset !== null ? { subset: settings.subset } : {}),
      groups: settings.groups ?? 'auto',
      splitBy: settings.splitBy ?? 'group',
    },
  };
}

/** The spec as run on `study`: the import's own preparation replaces the spec's (a spec cannot re-import). */
function asRun(spec: ExperimentSpec, study: Study): ExperimentSpec {
  if (!study.imported) return spec;
  const { subset: _subset, ...data } = spec.data;
  return { ...spec, data: { ...data, ...study.imported } };
}

/** Generated sample data (clearly synthetic), stored at `size` px. */
export function studyFromSample(task: Task, count: number, size: number): Study {
  const g = task === 'classify' ? generateClassification({ count, size, seed: 7 }) : generateDetection({ count, size, seed: 8 });
  const classNames = task === 'classify' ? (g as ReturnType<typeof generateClassification>).classNames : undefined;
  const samples: Samples = { images: g.images, count: g.count, size: g.size, labels: g.labels, boxes: g.boxes, ids: g.ids };
  const name = task === 'classify' ? 'Sample data: synthetic histology tiles (MSS / MSIMUT)' : 'Sample data: synthetic endoscopy frames with one polyp';
  return {
    identity: { id: `sample-${task}-${count}-${size}`, name, synthetic: true, task, total: count, sample: { task, count, size } },
    info: { name, classNames, counts: countsOf(samples, classNames), layout: 'generated in the browser (synthetic)' },
    samples,
    blocking: [],
  };
}

/** Checkpoints and the journal, over one file store. */
export class SessionStorage {
  readonly checkpoints: CheckpointStore;
  readonly journal: Journal;

  constructor(readonly files: FileStore) {
    this.checkpoints = new CheckpointStore(files);
    this.journal = new Journal(files);
  }

  /** Forget the interrupted experiment and every checkpoint. */
  async discard(): Promise<void> {
    await this.journal.remove();
    await this.deleteCheckpoints();
  }

  async deleteCheckpoints(): Promise<void> {
    for (const k of await this.checkpoints.keys()) await this.checkpoints.remove(k);
  }
}

export interface SessionOptions {
  /** Checkpoints and the journal; without it the session keeps neither and cannot resume. */
  storage?: SessionStorage;
  /** Continue the interrupted experiment of `storage`'s journal instead of starting one. */
  resume?: boolean;
  onRunError?: 'continue' | 'stop';
  /** Checkpoint every this many steps as well as at every epoch's end (0 or absent: epochs only). */
  checkpointEverySteps?: number;
  signal?: AbortSignal;
  /** Awaited before every step (pause); may throw to stop the run (a lost GPU). */
  gate?: () => Promise<void>;
  /** Set `requested` to have the run in progress checkpoint after its next step. */
  flush?: { requested: boolean };
  classifyError?: (e: unknown) => { code: ErrorCode; message: string } | null;
  onEvent?: (e: ExperimentEvent) => void;
  /** Each finished run's trained networks and its data, before the networks are freed. */
  onRunModels?: (run: PlannedRun, result: RunResult, data: TrainData) => void | Promise<void>;
  /**
   * Called once the spec and the dataset have passed their checks, before anything is written or
   * deleted (`resuming`: the journal's experiment continues). May throw to stop before training.
   */
  beforeStart?: (spec: ExperimentSpec, resuming: boolean) => Promise<void>;
  /** The experiment's id (kept in the journal; a resume keeps the journal's). Default: made from the start time. */
  id?: string;
  /**
   * Keep the finished (or stopped) experiment, e.g. as a History record. Awaited before the
   * journal is removed: if it fails, the journal stays (stopped, with the error) and the
   * experiment can be resumed to keep it.
   */
  record?: (result: ExperimentResult, id: string) => Promise<void>;
  /** Run only these of the spec's runs (a part of a sharded experiment, `experiment/shards.ts`). */
  select?: (run: PlannedRun) => boolean;
  /**
   * The bytes of a weights file the spec names (`teacher.weights`, `students[k].weights`): the
   * studio's storage in the worker, the disk relative to the spec on the command line.
   */
  readWeights?: ReadWeights;
}

function checkStudy(spec: ExperimentSpec, study: Study | null, previous: JournalEntry | null): asserts study is Study {
  if (!study) throw new EngineError('EMPTY_DATASET', 'Load a dataset first (drop a folder or try the sample data)');
  if (study.blocking.length) throw new EngineError('EMPTY_DATASET', `The dataset cannot be trained on: ${study.blocking.map((b) => b.message).join('; ')}`);
  if (spec.task !== study.identity.task)
    throw new EngineError('INVALID_CONFIG', `The spec's task is ${spec.task} but the dataset is for ${study.identity.task}`, 'task');
  if (previous && (previous.dataset.name !== study.identity.name || previous.dataset.total !== study.identity.total)) {
    throw new EngineError(
      'INVALID_CONFIG',
      `This experiment was trained on "${previous.dataset.name}" (${previous.dataset.total} images); load that dataset again, then resume`,
      'dataset',
    );
  }
}

/**
 * Run every method x seed of a spec on a study. With storage, every run checkpoints, the journal
 * records the finished runs, and `resume` continues the journal's experiment (its own spec) from
 * its finished runs and checkpoints. Throws typed errors before any training when the spec, the
 * dataset or the journal does not fit.
 */
export async function runSession(specValue: unknown, study: Study | null, opts: SessionOptions = {}): Promise<ExperimentResult> {
  const { storage } = opts;
  const previous = opts.resume && storage ? await storage.journal.read() : null;
  if (opts.resume && !previous) throw new EngineError('INVALID_CONFIG', 'There is no interrupted experiment to resume');
  const parsed = parseSpec(previous ? previous.spec : specValue);
  checkStudy(parsed, study, previous);
  const spec = previous ? parsed : asRun(parsed, study);
  await opts.beforeStart?.(spec, previous !== null);
  // A new experiment: the old one's checkpoints go.
  if (storage && !previous) await storage.deleteCheckpoints();

  // Weights files are read, parsed and matched to their networks before anything trains.
  const weights = await loadSessionWeights(spec, study.info.classNames?.length ?? 2, opts.readWeights);
  const samples = resample(study.samples, spec.inputSize);
  const byGroup = !!samples.groups && spec.data.groups !== 'none' && spec.data.splitBy !== 'image';
  const policy: SplitPolicy = {
    testShare: spec.data.testShare,
    valShare: spec.data.valShare,
    splitSeed: spec.data.splitSeed,
    classNames: study.info.classNames,
    byGroup,
    given: study.given,
  };
  const classes = study.info.classNames?.length ?? 2;
  const startedAt = previous?.startedAt ?? new Date().toISOString();
  const id = previous?.id ?? opts.id ?? `exp-${startedAt}`;
  const entry: JournalEntry | null = storage
    ? {
        version: 1,
        id,
        spec,
        dataset: study.identity,
        startedAt,
        completed: previous?.completed ?? [],
        planned: opts.select ? expandRuns(spec).filter(opts.select).length : spec.methods.length * spec.seeds.length,
        status: 'running',
      }
    : null;
  if (storage && entry) await storage.journal.write(entry);
  try {
    const result = await runExperiment(spec, (seed) => dataForSeed(samples, policy, seed), study.info, {
      signal: opts.signal,
      onRunError: opts.onRunError,
      store: storage?.checkpoints,
      checkpointEverySteps: opts.checkpointEverySteps && opts.checkpointEverySteps > 0 ? opts.checkpointEverySteps : undefined,
      completed: entry?.completed,
      flush: opts.flush,
      gate: opts.gate,
      classifyError: opts.classifyError,
      trainCount: (seed) => splitForSeed(samples, policy, seed).train.length,
      onRunModels: opts.onRunModels,
      annotate: (record, data, result) => {
        const out: typeof record = { ...record, split: splitRecordOf(data, study.given ? 'folders' : byGroup ? 'group' : 'image') };
        out.chance = chanceOf(data, spec.task, study.info.classNames);
        const groups = spec.task === 'classify' && result ? groupEvaluationOf(result.predictions, data.test, classes) : undefined;
        if (groups) out.groupFinal = groups;
        return out;
      },
      select: opts.select,
      weights,
      onEvent: (e) => {
        if (
          storage &&
          entry &&
          e.type === 'run-end' &&
          e.record.status === 'done' &&
          !entry.completed.some((r) => r.method === e.record.method && r.seed === e.record.seed)
        ) {
          entry.completed.push(e.record);
          void storage.journal.write(entry).catch(() => {});
        }
        opts.onEvent?.(e.type === 'experiment-start' ? { ...e, experimentId: id } : e);
      },
    });
    // Kept before the journal goes; if this fails, the journal stays as stopped (below).
    if (opts.record) await opts.record(result, id);
    if (storage && entry) {
      if (result.status === 'done') await storage.journal.remove();
      else {
        const failed = result.runs.find((r) => r.status === 'failed');
        entry.status = result.status === 'cancelled' ? 'cancelled' : 'stopped';
        if (failed?.error) entry.error = { name: 'EngineError', code: failed.error.code, message: failed.error.message };
        await storage.journal.write(entry).catch(() => {});
      }
    }
    return result;
  } catch (e) {
    if (storage && entry) {
      entry.status = 'stopped';
      entry.error = toErrorInfo(e);
      await storage.journal.write(entry).catch(() => {});
    }
    throw e;
  }
}
