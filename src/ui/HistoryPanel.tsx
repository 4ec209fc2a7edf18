/**
 * Past experiments, kept in IndexedDB (results only: tables, per-epoch metrics, configs) and
 * listed again after a reload. Records carry a version for later migrations.
 */
import { useEffect, useState } from 'react';
import { createStore, del, entries, set } from 'idb-keyval';
import type { ExperimentResult } from '../experiment/scheduler';
import { experimentOutputs } from '../experiment/outputs';
import { tableMarkdown } from '../experiment/aggregate';
import { download, fmtBytes } from './common';
import { studio } from '../worker/client';

const db = () => createStore('cohort-studio', 'experiments');

export interface PastExperiment {
  version: 1;
  id: string;
  savedAt: string;
  result: ExperimentResult;
}

export async function saveExperiment(result: ExperimentResult): Promise<string> {
  const id = `exp-${result.startedAt}`;
  const rec: PastExperiment = { version: 1, id, savedAt: new Date().toISOString(), result };
  await set(id, rec, db());
  return id;
}

export async function listExperiments(): Promise<PastExperiment[]> {
  const all = (await entries<string, PastExperiment>(db())).map(([, v]) => v).filter((v) => v && v.version === 1);
  return all.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

export function HistoryPanel({ refresh }: { refresh: number }) {
  const [items, setItems] = useState<PastExperiment[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [storage, setStorage] = useState<Awaited<ReturnType<ReturnType<typeof studio>['storage']>> | null>(null);
  const refreshStorage = () => studio().storage().then(setStorage).catch(() => setStorage(null));
  useEffect(() => {
    listExperiments().then(setItems).catch((e) => setError(String(e)));
    void refreshStorage();
  }, [refresh]);
  return (
    <section className="panel" aria-label="Past experiments">
      <h2>Past experiments</h2>
      {error && <p className="error">{error}</p>}
      {storage && (
        <p data-testid="storage">
          Storage used by the studio: {fmtBytes(storage.usage)} of {fmtBytes(storage.quota)}{storage.persisted ? ' (persistent)' : ' (the browser may evict it under pressure)'}.
          Checkpoints: {storage.checkpoints.length ? storage.checkpoints.join(', ') : 'none'}.{' '}
          <button type="button" disabled={!storage.checkpoints.length} onClick={async () => {
            try {
              await studio().deleteCheckpoints();
            } catch (e) {
              setError((e as { message?: string }).message ?? String(e));
            }
            await refreshStorage();
          }}>Delete checkpoints</button>
        </p>
      )}
      {items.length === 0 && <p className="hint">Finished experiments are kept in this browser and listed here.</p>}
      <ul className="history" data-testid="history">
        {items.map((p) => (
          <li key={p.id}>
            <button type="button" onClick={() => setOpen(open === p.id ? null : p.id)}>
              {new Date(p.result.startedAt).toLocaleString()} — {p.result.spec.name} on {p.result.dataset.name}: {p.result.runs.filter((r) => r.status === 'done').length} runs, {p.result.status}
            </button>
            <button type="button" onClick={() => {
              const o = experimentOutputs(p.result);
              download('results.json', o['results.json'], 'application/json');
              download('table.csv', o['table.csv'], 'text/csv');
            }}>Download</button>
            <button type="button" aria-label={`Delete ${p.id}`} onClick={async () => { await del(p.id, db()); setItems(await listExperiments()); }}>Delete</button>
            {open === p.id && <pre className="md">{tableMarkdown(p.result.table)}</pre>}
          </li>
        ))}
      </ul>
    </section>
  );
}
