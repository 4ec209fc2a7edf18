/**
 * The experiment journal: one small record, kept in storage while an experiment runs, that says
 * what is needed to resume it after a reload, a crash or a lost GPU (its spec, its dataset's
 * identity, the runs finished so far, how it stopped). An experiment whose journal is still there
 * when nothing is running is an interrupted experiment; the page offers to resume or discard it.
 *
 * Owns: the record's shape and its storage. Writes and the final removal go through one queue, so
 * a late write can never bring back the record of an experiment that has finished.
 * Imports core only: no tfjs, no DOM (the page imports the record's type).
 */
import type { ErrorInfo } from '../core/errors';
import type { FileStore } from '../core/files';
import type { RunRecord } from '../core/results';
import type { ExperimentSpec } from '../core/spec';
import { reviveNonFinite, stringifyNonFinite } from './resultsFile';

export const JOURNAL_VERSION = 1;

/** Where a dataset came from: enough to check that a resume uses the same one, or to make it again. */
export interface DatasetIdentity {
  id: string;
  name: string;
  synthetic: boolean;
  task: 'classify' | 'box';
  total: number;
  /** Generated sample data: how to generate it again. */
  sample?: { task: 'classify' | 'box'; count: number; size: number };
}

export interface JournalEntry {
  version: typeof JOURNAL_VERSION;
  /** The experiment's id (kept runs, History record); absent in journals written before ids were kept. */
  id?: string;
  spec: ExperimentSpec;
  dataset: DatasetIdentity;
  startedAt: string;
  completed: RunRecord[];
  /** Runs the experiment has in all. */
  planned: number;
  /** 'running' also after a crash or reload: nothing wrote that it stopped. */
  status: 'running' | 'cancelled' | 'stopped';
  error?: ErrorInfo;
}

export class Journal {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly files: FileStore,
    private readonly path = 'experiments/active.json',
  ) {}

  async read(): Promise<JournalEntry | null> {
    await this.queue;
    const bytes = await this.files.read(this.path);
    if (!bytes) return null;
    try {
      // Finished runs' records hold NaN (an empty calibration bin, a metric without a class): kept as in results.json.
      const entry = reviveNonFinite(JSON.parse(new TextDecoder().decode(bytes))) as JournalEntry;
      return entry.version === JOURNAL_VERSION ? entry : null;
    } catch {
      return null;
    }
  }

  write(entry: JournalEntry): Promise<void> {
    const bytes = new TextEncoder().encode(stringifyNonFinite(entry));
    return this.enqueue(() => this.files.write(this.path, bytes));
  }

  remove(): Promise<void> {
    return this.enqueue(() => this.files.remove(this.path));
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.queue.then(op);
    this.queue = next.catch(() => {});
    return next;
  }
}
