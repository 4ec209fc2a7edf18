/**
 * Configure: the paper's V1/V2/V3 presets and their Quick versions, or any teacher and students;
 * every hyperparameter of docs/METHOD.md; methods and seeds. Before training it shows each network's
 * parameter count, the reduction of Figure 2, an estimate of GPU memory and the number of runs.
 */
import { useEffect, useState } from 'react';
import { ARCHS } from '../core/archs';
import { MODES, MODE_LABELS, usesPeers, type Mode } from '../core/config';
import { parseSpec } from '../core/spec';
import { SpecError } from '../core/errors';
import { weightsLabel } from '../core/weights';
import { PRESETS, presetById } from '../experiment/presets';
import { studioStore, useStudio } from '../store';
import { download, fmtBytes, fmtInt } from './common';
import { WeightsField } from './WeightsField';

function NumberField({ label, value, onChange, step, min }: { label: string; value: number; onChange: (v: number) => void; step?: number; min?: number }) {
  return (
    <label>
      {label}
      <input type="number" value={Number.isFinite(value) ? value : ''} step={step ?? 'any'} min={min} onChange={(e) => onChange(Number(e.target.value))} />
    </label>
  );
}

/** Seeds as typed ("0, 1, 2"), applied when the field loses focus; a new spec resets it (key). */
function SeedsField({ seeds, onChange }: { seeds: number[]; onChange: (seeds: number[]) => void }) {
  const [text, setText] = useState(seeds.join(', '));
  return (
    <label>
      Seeds
      <input
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={() =>
          onChange(
            text
              .split(/[\s,]+/)
              .filter(Boolean)
              .map(Number),
          )
        }
        aria-label="Seeds"
      />
    </label>
  );
}

export function ConfigurePanel() {
  const spec = useStudio((s) => s.spec);
  const preset = useStudio((s) => s.preset);
  const estimate = useStudio((s) => s.estimate);
  const dataset = useStudio((s) => s.dataset);
  const status = useStudio((s) => s.status);
  const onRunError = useStudio((s) => s.onRunError);
  const checkpointEvery = useStudio((s) => s.checkpointEverySteps);
  const elsewhere = useStudio((s) => s.elsewhere);
  const storage = useStudio((s) => s.storage);
  const support = useStudio((s) => s.storageSupport);
  const weightsChecks = useStudio((s) => s.weightsChecks);
  const { setSpec, applyPreset, loadSpecText, refreshEstimate, refreshStorage, setTrainingOptions, train } = studioStore.getState();
  const [specError, setSpecError] = useState<string | null>(null);
  const running = status === 'running' || status === 'paused';

  // Parameter counts and memory, computed by the planner worker on the CPU (a moment after the last edit).
  useEffect(() => {
    const t = setTimeout(() => void refreshEstimate(), 150);
    return () => clearTimeout(t);
  }, [spec, dataset, refreshEstimate]);
  // The disk left to the studio, shown beside what the experiment needs.
  useEffect(() => void refreshStorage(), [refreshStorage]);
  const freeBytes = storage?.quota != null && storage.usage != null ? Math.max(0, storage.quota - storage.usage) : null;

  const setHyper = (k: keyof typeof spec.hyper, v: number | boolean) => setSpec((s) => ({ ...s, hyper: { ...s.hyper, [k]: v } }));
  const toggleMethod = (m: Mode) =>
    setSpec((s) => ({ ...s, methods: s.methods.includes(m) ? s.methods.filter((x) => x !== m) : MODES.filter((x) => x === m || s.methods.includes(x)) }));

  let validation: string | null = null;
  try {
    parseSpec(spec);
  } catch (e) {
    validation = e instanceof SpecError ? e.issues.map((i) => `${i.field}: ${i.message}`).join('; ') : String(e);
  }
  const needsPeers = spec.methods.some(usesPeers) && spec.students.length < 2;
  const canTrain = !running && !elsewhere && !!dataset && dataset.blocking.length === 0 && !validation && spec.task === dataset.task;

  const initialWeights = (i: number) => {
    const net = i === 0 ? spec.teacher : spec.students[i - 1];
    const check = weightsChecks[i === 0 ? 'teacher' : `students[${i - 1}]`];
    if (!net?.weights) return weightsLabel(undefined);
    return check?.status === 'ok' && check.file === net.weights && check.source ? weightsLabel(check.source) : `from ${net.weights}`;
  };

  const [linkNote, setLinkNote] = useState<string | null>(null);
  async function copyLink() {
    const url = `${location.origin}${location.pathname}${location.search}${studioStore.getState().specLinkHash()}`;
    try {
      await navigator.clipboard.writeText(url);
      setLinkNote('Link copied: it opens the studio with this spec.');
    } catch {
      // No clipboard permission: the address bar holds the same link.
      setLinkNote('The address bar holds the link to this spec.');
    }
  }

  async function loadSpec(file: File) {
    setSpecError(loadSpecText(await file.text()));
  }

  return (
    <section className="panel" aria-label="Configure">
      <h2>Configure</h2>
      <div className="row">
        <label>
          Preset
          <select value={preset} onChange={(e) => applyPreset(e.target.value)} aria-label="Preset">
            {PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom</option>
          </select>
        </label>
        <label>
          Input size (px)
          <input type="number" min={32} step={16} value={spec.inputSize} onChange={(e) => setSpec((s) => ({ ...s, inputSize: Number(e.target.value) }))} />
        </label>
      </div>
      <p className="hint">{presetById(preset)?.note ?? 'Any teacher and any number of students.'}</p>
      <div className="row">
        <label>
          Teacher
          <select aria-label="Teacher" value={spec.teacher.arch} onChange={(e) => setSpec((s) => ({ ...s, teacher: { ...s.teacher, arch: e.target.value } }))}>
            {ARCHS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <NumberField
          label="Teacher width"
          value={spec.teacher.width ?? 1}
          step={0.0625}
          min={0.0625}
          onChange={(v) => setSpec((s) => ({ ...s, teacher: { ...s.teacher, width: v } }))}
        />
        <WeightsField slot="teacher" label="Teacher" net={spec.teacher} disabled={running} />
      </div>
      {spec.students.map((st, i) => (
        <div className="row" key={i}>
          <label>
            {`Student ${i + 1}`}
            <select
              aria-label={`Student ${i + 1}`}
              value={st.arch}
              onChange={(e) => setSpec((s) => ({ ...s, students: s.students.map((x, j) => (j === i ? { ...x, arch: e.target.value } : x)) }))}
            >
              {ARCHS.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
          <NumberField
            label={`Student ${i + 1} width`}
            value={st.width ?? 1}
            step={0.0625}
            min={0.0625}
            onChange={(v) => setSpec((s) => ({ ...s, students: s.students.map((x, j) => (j === i ? { ...x, width: v } : x)) }))}
          />
          <WeightsField slot={`students[${i}]`} label={`Student ${i + 1}`} net={st} disabled={running} />
          <button
            type="button"
            aria-label={`Remove student ${i + 1}`}
            disabled={spec.students.length <= 1}
            onClick={() => setSpec((s) => ({ ...s, students: s.students.filter((_, j) => j !== i) }))}
          >
            −
          </button>
        </div>
      ))}
      <button type="button" onClick={() => setSpec((s) => ({ ...s, students: [...s.students, { ...s.students[s.students.length - 1] }] }))}>
        Add student
      </button>
      {needsPeers && <p className="error">Mutual learning needs at least 2 students.</p>}

      <fieldset>
        <legend>Methods</legend>
        {MODES.map((m) => (
          <label key={m} className="check">
            <input type="checkbox" checked={spec.methods.includes(m)} onChange={() => toggleMethod(m)} /> {MODE_LABELS[m]}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <SeedsField key={spec.seeds.join(',')} seeds={spec.seeds} onChange={(seeds) => setSpec((s) => ({ ...s, seeds }))} />
        <NumberField label="Epochs" value={spec.hyper.epochs} min={1} step={1} onChange={(v) => setHyper('epochs', v)} />
        <NumberField
          label="Teacher epochs"
          value={spec.hyper.teacherEpochs ?? spec.hyper.epochs}
          min={1}
          step={1}
          onChange={(v) => setHyper('teacherEpochs', v)}
        />
        <label>
          Steps per epoch (cap)
          <input
            type="number"
            min={1}
            placeholder="all"
            value={spec.hyper.stepsPerEpoch ?? ''}
            onChange={(e) =>
              setSpec((s) => {
                const h = { ...s.hyper };
                if (e.target.value === '') delete h.stepsPerEpoch;
                else h.stepsPerEpoch = Number(e.target.value);
                return { ...s, hyper: h };
              })
            }
          />
        </label>
      </div>
      <details>
        <summary>Loss and optimiser</summary>
        <div className="row">
          <NumberField label="Temperature T" value={spec.hyper.temperature} onChange={(v) => setHyper('temperature', v)} />
          <NumberField label="alpha (CE)" value={spec.hyper.alpha} onChange={(v) => setHyper('alpha', v)} />
          <NumberField label="beta (KD)" value={spec.hyper.beta} onChange={(v) => setHyper('beta', v)} />
          <NumberField label="gamma (ML)" value={spec.hyper.gamma} onChange={(v) => setHyper('gamma', v)} />
          <label className="check">
            <input type="checkbox" checked={spec.hyper.tSquared} onChange={(e) => setHyper('tSquared', e.target.checked)} /> multiply KL by T²
          </label>
        </div>
        <div className="row">
          <NumberField label="Learning rate" value={spec.hyper.lr} onChange={(v) => setHyper('lr', v)} />
          <NumberField label="Momentum" value={spec.hyper.momentum} onChange={(v) => setHyper('momentum', v)} />
          <NumberField label="Weight decay" value={spec.hyper.weightDecay} onChange={(v) => setHyper('weightDecay', v)} />
          <NumberField label="Batch size" value={spec.hyper.batchSize} min={1} step={1} onChange={(v) => setHyper('batchSize', v)} />
        </div>
        <div className="row">
          {(['hflip', 'vflip', 'rot90'] as const).map((k) => (
            <label key={k} className="check">
              <input type="checkbox" checked={spec.augment[k]} onChange={(e) => setSpec((s) => ({ ...s, augment: { ...s.augment, [k]: e.target.checked } }))} />{' '}
              {k === 'rot90' ? '90° rotations' : k === 'hflip' ? 'horizontal flips' : 'vertical flips'}
            </label>
          ))}
          <NumberField
            label="Small rotations (± degrees)"
            value={spec.augment.rotate ?? 0}
            min={0}
            step={5}
            onChange={(v) => setSpec((s) => ({ ...s, augment: { ...s.augment, rotate: v } }))}
          />
          <NumberField
            label="Brightness jitter"
            value={spec.augment.brightness}
            onChange={(v) => setSpec((s) => ({ ...s, augment: { ...s.augment, brightness: v } }))}
          />
          <NumberField
            label="Contrast jitter"
            value={spec.augment.contrast}
            onChange={(v) => setSpec((s) => ({ ...s, augment: { ...s.augment, contrast: v } }))}
          />
        </div>
        <p className="hint">
          Student loss (eq. 4): α·CE(y, s_k) + β·KL(p ‖ s_k) + γ·Σ KL(s_k′ ‖ s_k). Teacher and peer predictions are targets (no gradient flows into them), as in
          Deep Mutual Learning; the paper writes D_KL(s_k ‖ s_k′), read here with the peer as the target.
        </p>
      </details>

      {estimate && (
        <table aria-label="Networks" className="compact">
          <thead>
            <tr>
              <th>Network</th>
              <th>Architecture</th>
              <th>Parameters</th>
              <th>Initial weights</th>
            </tr>
          </thead>
          <tbody>
            {estimate.networks.map((n, i) => (
              <tr key={n.name}>
                <td>{n.name}</td>
                <td>
                  {n.arch}
                  {n.width !== 1 ? ` ×${n.width}` : ''}
                </td>
                <td data-testid={`params-${n.name}`}>{fmtInt(n.params)}</td>
                <td data-testid={`init-${n.name}`}>{initialWeights(i)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {estimate && (
        <p data-testid="estimate">
          Reduction 1 − students/teacher: <strong>{(estimate.reduction * 100).toFixed(1)} %</strong>
          {estimate.reduction < 0 ? ' (the students together are larger than the teacher)' : ''}. GPU memory (estimate):{' '}
          <strong>{fmtBytes(estimate.memoryBytes)}</strong>. Runs: <strong>{estimate.runs}</strong> ({spec.methods.length} method
          {spec.methods.length === 1 ? '' : 's'} × {spec.seeds.length} seed{spec.seeds.length === 1 ? '' : 's'})
          {estimate.teacherTrainings
            ? `, plus ${estimate.teacherTrainings} teacher pre-training${estimate.teacherTrainings > 1 ? 's' : ''} shared by KD and KD+ML offline`
            : ''}
          .
        </p>
      )}
      {estimate && (
        <p data-testid="disk">
          Disk (estimate): <strong>{fmtBytes(estimate.diskBytes)}</strong> — the trained networks and test predictions of every run (
          {fmtBytes(estimate.disk.kept)}
          ), kept for Inspect, Compare and Export after a reload, and checkpoints while it trains ({fmtBytes(estimate.disk.checkpoints)}).{' '}
          {support && !support.persistent
            ? 'This browser keeps them in memory instead (see the banner above).'
            : freeBytes !== null && (
                <span className={estimate.diskBytes > freeBytes ? 'error' : undefined}>
                  The browser lets the studio use {fmtBytes(freeBytes)} more
                  {estimate.diskBytes > freeBytes ? ': it will not fit (delete past experiments in History)' : ''}.
                </span>
              )}
        </p>
      )}
      {elsewhere && <p className="hint">Training in another tab: this tab can start an experiment once that one ends or its tab is closed.</p>}
      <label>
        After a run fails (for example a NaN loss)
        <select value={onRunError} onChange={(e) => setTrainingOptions({ onRunError: e.target.value as 'continue' | 'stop' })} aria-label="After a run fails">
          <option value="continue">go on with the next run</option>
          <option value="stop">stop and wait (resume later)</option>
        </select>
      </label>
      <NumberField
        label="Checkpoint every N steps (0: each epoch only)"
        value={checkpointEvery}
        min={0}
        step={50}
        onChange={(v) => setTrainingOptions({ checkpointEverySteps: Math.max(0, Math.round(v)) })}
      />
      {validation && (
        <p className="error" role="alert">
          {validation}
        </p>
      )}
      {dataset && spec.task !== dataset.task && <p className="error">The dataset is for {dataset.task === 'classify' ? 'classification' : 'detection'}.</p>}
      {!dataset && <p className="hint">Load a dataset first (Data).</p>}
      <div className="actions">
        <button type="button" className="primary" onClick={() => void train()} disabled={!canTrain}>
          Train
        </button>
        <button type="button" onClick={() => download('experiment-spec.json', JSON.stringify(spec, null, 2), 'application/json')}>
          Save spec
        </button>
        <label className="file">
          Load spec
          <input type="file" accept="application/json,.json" onChange={(e) => e.target.files?.[0] && loadSpec(e.target.files[0])} />
        </label>
        <button type="button" onClick={() => void copyLink()} title="A link that opens the studio with this spec (the spec only: no data leaves this computer)">
          Copy link to this spec
        </button>
        {linkNote && (
          <span className="hint" role="status" data-testid="link-note">
            {linkNote}
          </span>
        )}
      </div>
      {specError && (
        <p className="error" role="alert">
          {specError}
        </p>
      )}
    </section>
  );
}
