/**
 * Past experiments kept in this browser: one versioned record per finished (or stopped)
 * experiment, with `migrateHistoryRecord` to read older versions, over a small `HistoryDb`
 * (IndexedDB through idb-keyval in the browser, a Map in tests).
 *
 * Owns: the record format and its storage. No worker, no React.
 */
import { createStore, del, entries, set } from 'idb-keyval';
import type { ExperimentResult } from '../core/results';

export const HISTORY_VERSION = 1;

export interface HistoryRecord {
  version: typeof HISTORY_VERSION;
  id: string;
  savedAt: string;
  result: ExperimentResult;
}

export interface HistoryDb {
  put(record: HistoryRecord): Promise<void>;
  all(): Promise<unknown[]>;
  remove(id: string): Promise<void>;
}

/**
 * A stored record in the current format, or null when it cannot be read. Records written before
 * versions were kept (`{ id, savedAt, result }`) are version 1's shape without the field.
 */
export function migrateHistoryRecord(raw: unknown): HistoryRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Partial<HistoryRecord> & { version?: number };
  if (typeof r.id !== 'string' || typeof r.savedAt !== 'string' || typeof r.result !== 'object' || r.result === null) return null;
  if (r.version === undefined || r.version === HISTORY_VERSION) return { version: HISTORY_VERSION, id: r.id, savedAt: r.savedAt, result: r.result };
  return null;
}

export function historyRecordOf(result: ExperimentResult, savedAt = new Date()): HistoryRecord {
  return { version: HISTORY_VERSION, id: `exp-${result.startedAt}`, savedAt: savedAt.toISOString(), result };
}

/** Newest first; records that cannot be read are left out. */
export async function listHistory(db: HistoryDb): Promise<HistoryRecord[]> {
  const all = (await db.all()).map(migrateHistoryRecord).filter((r): r is HistoryRecord => r !== null);
  return all.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

export function idbHistory(): HistoryDb {
  const db = () => createStore('cohort-studio', 'experiments');
  return {
    put: (record) => set(record.id, record, db()),
    all: async () => (await entries(db())).map(([, v]) => v),
    remove: (id) => del(id, db()),
  };
}

export function memoryHistory(): HistoryDb & { records: Map<string, unknown> } {
  const records = new Map<string, unknown>();
  return {
    records,
    put: async (r) => void records.set(r.id, structuredClone(r)),
    all: async () => Array.from(records.values()),
    remove: async (id) => void records.delete(id),
  };
}
