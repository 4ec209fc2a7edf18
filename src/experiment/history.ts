/**
 * Past experiments kept in this browser: one versioned record per finished (or stopped)
 * experiment, with `migrateHistoryRecord` to read every older version, over a small `HistoryDb`
 * (IndexedDB in the studio worker, `worker/historyDb.ts`; a Map in tests). The studio worker
 * writes a record before it removes the experiment's journal, so a finished experiment is never
 * only in the page's memory.
 *
 * Version 2 says which runs' trained networks are kept in storage (the archive); version 1
 * records (and those written before versions were kept) kept results only.
 *
 * Owns: the record format and its listing. Imports core only: no tfjs, no DOM (the page imports
 * the record's type).
 */
import type { ExperimentResult } from '../core/results';

export const HISTORY_VERSION = 2;

export interface HistoryRecord {
  version: typeof HISTORY_VERSION;
  /** The experiment's id: also where its runs are kept (the archive) and its journal's id. */
  id: string;
  savedAt: string;
  result: ExperimentResult;
  /** Runs whose trained networks and predictions are kept, and the bytes they take; null: results only. */
  stored: { runs: string[]; bytes: number } | null;
}

export interface HistoryDb {
  put(record: HistoryRecord): Promise<void>;
  get(id: string): Promise<unknown>;
  all(): Promise<unknown[]>;
  remove(id: string): Promise<void>;
}

/**
 * A stored record in the current format, or null when it cannot be read. Version 1 records
 * (`{ version: 1, id, savedAt, result }`, or the same without `version`) kept no networks.
 */
export function migrateHistoryRecord(raw: unknown): HistoryRecord | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Partial<Omit<HistoryRecord, 'version'>> & { version?: unknown };
  if (typeof r.id !== 'string' || typeof r.savedAt !== 'string' || typeof r.result !== 'object' || r.result === null) return null;
  if (r.version === undefined || r.version === 1) return { version: HISTORY_VERSION, id: r.id, savedAt: r.savedAt, result: r.result, stored: null };
  if (r.version === HISTORY_VERSION) {
    const s = r.stored;
    const stored = s && Array.isArray(s.runs) && typeof s.bytes === 'number' ? { runs: s.runs.filter((k) => typeof k === 'string'), bytes: s.bytes } : null;
    return { version: HISTORY_VERSION, id: r.id, savedAt: r.savedAt, result: r.result, stored };
  }
  return null;
}

export function historyRecordOf(id: string, result: ExperimentResult, stored: HistoryRecord['stored'], savedAt = new Date()): HistoryRecord {
  return { version: HISTORY_VERSION, id, savedAt: savedAt.toISOString(), result, stored };
}

/** Newest first; records that cannot be read are left out. */
export async function listHistory(db: HistoryDb): Promise<HistoryRecord[]> {
  const all = (await db.all()).map(migrateHistoryRecord).filter((r): r is HistoryRecord => r !== null);
  return all.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

export function memoryHistory(): HistoryDb & { records: Map<string, unknown> } {
  const records = new Map<string, unknown>();
  return {
    records,
    put: async (r) => void records.set(r.id, structuredClone(r)),
    get: async (id) => structuredClone(records.get(id)),
    all: async () => Array.from(records.values()),
    remove: async (id) => void records.delete(id),
  };
}
