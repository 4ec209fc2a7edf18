/**
 * Past experiments, kept in this browser (results only: tables, per-epoch metrics, configs) and
 * listed again after a reload; the origin's storage and the checkpoints it holds.
 */
import { useEffect, useState } from 'react';
import { experimentOutputs } from '../experiment/outputs';
import { tableMarkdown } from '../experiment/aggregate';
import { studioStore, useStudio } from '../store';
import { download, fmtBytes } from './common';

export function HistoryPanel() {
  const items = useStudio((s) => s.history);
  const error = useStudio((s) => s.historyError);
  const storage = useStudio((s) => s.storage);
  const [open, setOpen] = useState<string | null>(null);
  const { loadHistory, refreshStorage, deleteCheckpoints, deleteHistory } = studioStore.getState();
  useEffect(() => {
    void loadHistory();
    void refreshStorage();
  }, [loadHistory, refreshStorage]);
  return (
    <section className="panel" aria-label="Past experiments">
      <h2>Past experiments</h2>
      {error && <p className="error">{error}</p>}
      {storage && (
        <p data-testid="storage">
          Storage used by the studio: {fmtBytes(storage.usage)} of {fmtBytes(storage.quota)}
          {storage.persisted ? ' (persistent)' : ' (the browser may evict it under pressure)'}. Checkpoints:{' '}
          {storage.checkpoints.length ? storage.checkpoints.join(', ') : 'none'}.{' '}
          <button type="button" disabled={!storage.checkpoints.length} onClick={() => void deleteCheckpoints()}>
            Delete checkpoints
          </button>
        </p>
      )}
      {items.length === 0 && <p className="hint">Finished experiments are kept in this browser and listed here.</p>}
      <ul className="history" data-testid="history">
        {items.map((p) => (
          <li key={p.id}>
            <button type="button" onClick={() => setOpen(open === p.id ? null : p.id)}>
              {new Date(p.result.startedAt).toLocaleString()} — {p.result.spec.name} on {p.result.dataset.name}:{' '}
              {p.result.runs.filter((r) => r.status === 'done').length} runs, {p.result.status}
            </button>
            <button
              type="button"
              onClick={() => {
                const o = experimentOutputs(p.result);
                download('results.json', o['results.json'], 'application/json');
                download('table.csv', o['table.csv'], 'text/csv');
              }}
            >
              Download
            </button>
            <button type="button" aria-label={`Delete ${p.id}`} onClick={() => void deleteHistory(p.id)}>
              Delete
            </button>
            {open === p.id && <pre className="md">{tableMarkdown(p.result.table)}</pre>}
          </li>
        ))}
      </ul>
    </section>
  );
}
