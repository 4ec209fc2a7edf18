/**
 * One network's initial weights in Configure: "random (seeded)" or a weights file (a torchvision
 * state dict, `.safetensors` / `.pth` / `.pt`) the user picks. It draws the store's check of the file
 * (checking, what loading does, or the typed error) and calls its commands; the file is checked on
 * the planner's CPU and kept in the origin's storage by the store.
 */
import { useRef } from 'react';
import type { NetworkChoice } from '../core/config';
import { weightsLabel } from '../core/weights';
import { studioStore, useStudio } from '../store';
import type { WeightsSlot } from '../store/state';

export function WeightsField({ slot, label, net, disabled }: { slot: WeightsSlot; label: string; net: NetworkChoice; disabled?: boolean }) {
  const check = useStudio((s) => s.weightsChecks[slot]);
  const { pickWeights, clearWeights } = studioStore.getState();
  const input = useRef<HTMLInputElement>(null);
  const shown = check && (check.status !== 'ok' || check.file === net.weights) ? check : null;
  const stale = shown?.status === 'ok' && (shown.arch !== net.arch || shown.width !== (net.width ?? 1));
  return (
    <div className="weights" data-testid={`weights-${slot}`}>
      <label>
        {`${label} initial weights`}
        <select
          aria-label={`${label} initial weights`}
          value={net.weights ? 'file' : 'seeded'}
          disabled={disabled}
          onChange={(e) => {
            if (e.target.value === 'seeded') clearWeights(slot);
            else input.current?.click();
          }}
        >
          <option value="seeded">random (seeded)</option>
          <option value="file">{net.weights ? `file: ${net.weights}` : 'weights file…'}</option>
        </select>
      </label>
      <input
        ref={input}
        type="file"
        accept=".safetensors,.pth,.pt,.bin"
        aria-label={`${label} weights file`}
        hidden
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void pickWeights(slot, f);
          e.target.value = '';
        }}
      />
      {shown?.status === 'checking' && <span className="hint">checking {shown.file}…</span>}
      {shown?.status === 'ok' && (
        <span className="hint" data-testid={`weights-status-${slot}`}>
          {weightsLabel(shown.source)}
          {shown.source?.kind === 'file' ? `: ${shown.source.loaded} tensors` : ''}
          {stale ? ` (checked for ${shown.arch} ×${shown.width}; pick the file again for this network)` : ''}
        </span>
      )}
      {shown?.status === 'error' && (
        <span className="error" data-testid={`weights-error-${slot}`}>
          {shown.file}: {shown.error?.code} — {shown.error?.message}
        </span>
      )}
      {!shown && net.weights && (
        <span className="hint">{weightsLabel({ kind: 'file', file: net.weights, format: 'pytorch', loaded: 0, headReinitialised: null })}</span>
      )}
    </div>
  );
}
