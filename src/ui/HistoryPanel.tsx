/**
 * Past experiments, kept in this browser and listed again after a reload: their results (tables,
 * per-epoch metrics, configs) and, kept in the origin's storage, their runs' trained networks and
 * predictions, so "Open" shows one in Compare, Inspect and Export again; the interrupted one
 * (or the one another tab trains) marked; deleting one frees its storage. Also the origin's
 * storage and the checkpoints it holds.
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
  const status = useStudio((s) => s.status);
  const shown = useStudio((s) => s.experimentId);
  const elsewhere = useStudio((s) => s.elsewhere);
  const running = status === 'running' || status === 'paused';
  const [open, setOpen] = useState<string | null>(null);
  const { loadHistory, refreshStorage, deleteCheckpoints, deleteHistory, openExperiment } = studioStore.getState();
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
          <button type="button" disabled={!storage.checkpoints.length || !!elsewhere} onClick={() => void deleteCheckpoints()}>
            Delete checkpoints
          </button>
        </p>
      )}
      {items.length === 0 && <p className="hint">Finished experiments are kept in this browser and listed here.</p>}
      <ul className="history" data-testid="history">
        {items.map((p) => (
          <li key={p.id} data-testid={`history-${p.id}`}>
            <button type="button" onClick={() => setOpen(open === p.id ? null : p.id)}>
              {new Date(p.result.startedAt).toLocaleString()} — {p.result.spec.name} on {p.result.dataset.name}:{' '}
              {p.result.runs.filter((r) => r.status === 'done').length} runs, {p.live === 'elsewhere' ? 'training in another tab' : (p.live ?? p.result.status)}
            </button>{' '}
            <span className="hint">
              {p.stored ? `networks of ${p.stored.runs.length} runs kept (${fmtBytes(p.stored.bytes)})` : 'results only (networks not kept)'}
              {shown === p.id ? ' · shown' : ''}
            </span>{' '}
            <button type="button" disabled={running} onClick={() => void openExperiment(p.id)}>
              Open
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
            <button type="button" aria-label={`Delete ${p.id}`} disabled={!!elsewhere || (running && shown === p.id)} onClick={() => void deleteHistory(p.id)}>
              Delete
            </button>
            {open === p.id && <pre className="md">{tableMarkdown(p.result.table)}</pre>}
          </li>
        ))}
      </ul>
    </section>
  );
}
