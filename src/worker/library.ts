/**
 * The kept experiments: their History records (versioned, `experiment/history.ts`, in IndexedDB)
 * and their runs in storage (`./archive`), listed together with the interrupted experiment whose
 * journal is still there, so after a reload every finished run of every kept experiment can be
 * opened, inspected, exported and compared. Deleting an experiment frees its storage; nothing is
 * deleted while another tab trains, nor the experiment this worker is running.
 *
 * Owns: the History record's writing (before the journal goes, by the session's `record` hook),
 * listing and deletion, and the clean-up of runs no experiment keeps. Runs in the studio worker.
 */
import { EngineError, toErrorInfo } from '../core/errors';
import type { ExperimentResult } from '../core/results';
import { aggregate } from '../experiment/aggregate';
import { historyRecordOf, listHistory, migrateHistoryRecord, type HistoryDb, type HistoryRecord } from '../experiment/history';
import type { JournalEntry } from '../experiment/journal';
import type { SessionStorage } from '../experiment/session';
import { archiveName, type RunArchive } from './archive';
import type { TrainerLock } from './trainerLock';

/** A kept experiment as History lists it. */
export interface KeptExperiment extends HistoryRecord {
  /** Its journal is still there: interrupted (Resume continues it), or training in another tab. */
  live?: 'interrupted' | 'elsewhere';
}

/** The finished runs of an interrupted experiment as a (partial) result. */
function partialResult(j: JournalEntry): ExperimentResult {
  const classNames = j.completed.find((r) => r.config.classNames)?.config.classNames;
  return {
    format: 'cohort-studio-results',
    version: 1,
    spec: j.spec,
    dataset: { name: j.dataset.name, classNames },
    backend: j.completed[0]?.backend ?? '',
    startedAt: j.startedAt,
    finishedAt: j.startedAt,
    status: j.status === 'cancelled' ? 'cancelled' : 'stopped',
    runs: j.completed,
    teacherTrainings: [],
    table: aggregate(j.completed, j.spec.methods, j.spec.seeds),
  };
}

export class Library {
  constructor(
    private readonly db: HistoryDb,
    private readonly archive: RunArchive,
    private readonly storage: SessionStorage,
    private readonly lock: TrainerLock,
    /** The id of the experiment this worker is running, if any. */
    private readonly running: () => string | null,
    /** Whether the stored runs survive a reload (OPFS); in memory they do not, and records say results only. */
    private readonly persistent = true,
  ) {}

  /**
   * Keep a finished (or stopped) experiment in History with what is stored of its runs. Called
   * before the journal is removed; a failure leaves the journal, so a resume keeps it later.
   */
  async save(id: string, result: ExperimentResult): Promise<HistoryRecord> {
    try {
      const record = historyRecordOf(id, result, this.persistent ? await this.archive.summary(id) : null);
      await this.db.put(record);
      return record;
    } catch (e) {
      const info = toErrorInfo(e);
      throw new EngineError(
        'STORAGE_FULL',
        `The finished experiment could not be kept in History (${info.message}). Its runs are kept: free space, then Resume to keep it.`,
        id,
      );
    }
  }

  /** Newest first; the journal's experiment (interrupted, or training in another tab) is marked. */
  async list(): Promise<KeptExperiment[]> {
    const records: KeptExperiment[] = await listHistory(this.db);
    const journal = this.running() ? null : await this.storage.journal.read();
    if (!journal?.id) return records;
    const live = (await this.lock.heldElsewhere()) ? 'elsewhere' : 'interrupted';
    const mine = records.find((r) => r.id === journal.id);
    if (mine) {
      mine.live = live;
      return records;
    }
    const pseudo: KeptExperiment = { ...historyRecordOf(journal.id, partialResult(journal), await this.archive.summary(journal.id)), live };
    pseudo.savedAt = journal.startedAt;
    return [pseudo, ...records];
  }

  async get(id: string): Promise<KeptExperiment | null> {
    return (await this.list()).find((r) => r.id === id) ?? null;
  }

  /** Delete a kept experiment: its record, its stored runs, and its journal and checkpoints if it was interrupted. */
  async remove(id: string): Promise<void> {
    await this.lock.hold('delete experiments', async () => {
      if (this.running() === id) throw new EngineError('INVALID_CONFIG', 'A running experiment cannot be deleted; cancel it first', id);
      const journal = await this.storage.journal.read();
      if (journal?.id === id) await this.storage.discard();
      await this.archive.remove(id);
      await this.db.remove(id);
    });
  }

  /** The interrupted experiment is forgotten: its stored runs go too, unless History keeps it. */
  async forget(journal: JournalEntry | null): Promise<void> {
    if (journal?.id && !migrateHistoryRecord(await this.db.get(journal.id))) await this.archive.remove(journal.id);
  }

  /** Free stored runs that neither History nor the journal nor `keep` refers to (left by a crash or an old version). */
  async tidy(keep: string[] = []): Promise<void> {
    const journal = await this.storage.journal.read();
    const kept = new Set([...(await listHistory(this.db)).map((r) => r.id), ...(journal?.id ? [journal.id] : []), ...keep].map(archiveName));
    for (const name of await this.archive.ids()) if (!kept.has(name)) await this.archive.remove(name);
  }
}
