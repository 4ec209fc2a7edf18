/**
 * The History records' database in this browser: IndexedDB through idb-keyval, opened in the
 * studio worker (IndexedDB works in workers), which writes each record before it removes the
 * experiment's journal. The same database and store names as the page used before, so records
 * kept before survive (`migrateHistoryRecord` reads them).
 *
 * Owns: where records live in the browser. Runs in the studio worker.
 */
import { createStore, del, entries, get, set } from 'idb-keyval';
import type { HistoryDb } from '../experiment/history';

export function idbHistory(): HistoryDb {
  let store: ReturnType<typeof createStore> | null = null;
  const db = () => (store ??= createStore('cohort-studio', 'experiments'));
  return {
    put: (record) => set(record.id, record, db()),
    get: (id) => get(id, db()),
    all: async () => (await entries(db())).map(([, v]) => v),
    remove: (id) => del(id, db()),
  };
}
