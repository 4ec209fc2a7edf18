/**
 * The experiment the worker runs: one session at a time over the held dataset, with pause and
 * unpause, cancel, a checkpoint flush when the tab is hidden, GPU faults checked before every
 * step, finished runs kept for Inspect and Export, and the memory in use pushed with the events
 * (at most once a second), so the page never polls.
 *
 * Owns: the running session's controls. Runs in the studio worker.
 */
import { EngineError } from '../core/errors';
import type { StudioEvent } from '../core/events';
import type { DatasetInfo, ExperimentResult, RunRecord } from '../core/results';
import { parseSpec, type ExperimentSpec } from '../core/spec';
import { runSession, SessionStorage, type Study } from '../experiment/session';
import type { JournalEntry } from '../experiment/journal';
import type { RunArchive } from './archive';
import type { Gpu } from './gpu';

export interface RunOptions {
  /** Continue the interrupted experiment (its own spec) instead of starting `spec`. */
  resume?: boolean;
  onRunError?: 'continue' | 'stop';
  checkpointEverySteps?: number;
}

const MEMORY_EVERY_MS = 1000;

function specOrNull(spec: unknown): ExperimentSpec | null {
  try {
    return parseSpec(spec);
  } catch {
    return null;
  }
}

export class ExperimentRunner {
  private controller: AbortController | null = null;
  private paused: { promise: Promise<void>; release: () => void } | null = null;
  private readonly flushRequest = { requested: false };
  /** The spec and dataset of the last experiment run, for exports. */
  last: ExperimentResult | null = null;
  /** The experiment running (or run last): its spec, dataset and finished runs so far, for model cards. */
  current: { spec: ExperimentSpec | null; dataset: DatasetInfo | null; records: RunRecord[] } | null = null;

  constructor(
    readonly storage: SessionStorage,
    private readonly gpu: Gpu,
    private readonly archive: RunArchive,
  ) {}

  get running(): boolean {
    return this.controller !== null;
  }

  async run(spec: unknown, study: Study | null, onEvent: (e: StudioEvent) => void, options: RunOptions = {}): Promise<ExperimentResult> {
    const fault = this.gpu.fault();
    if (fault) throw fault;
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    this.archive.clear();
    this.last = null;
    const current = (this.current = { spec: specOrNull(spec), dataset: study?.info ?? null, records: [] as RunRecord[] });
    let lastMemory = 0;
    try {
      const result = await runSession(spec, study, {
        storage: this.storage,
        resume: options.resume,
        onRunError: options.onRunError ?? 'continue',
        checkpointEverySteps: options.checkpointEverySteps,
        signal: controller.signal,
        flush: this.flushRequest,
        gate: async () => {
          const f = this.gpu.fault();
          if (f) throw f;
          if (this.paused) await this.paused.promise;
        },
        classifyError: (e) => this.gpu.classify(e),
        onEvent: (e) => {
          if (e.type === 'run-end') current.records.push(e.record);
          onEvent(e);
          const now = Date.now();
          if (e.type === 'train' && e.event.type === 'step' && now - lastMemory >= MEMORY_EVERY_MS) {
            lastMemory = now;
            const m = this.gpu.memory();
            onEvent({ type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes, gpuBytes: m.gpuBytes });
          }
        },
        onRunModels: (run, r, data) => this.archive.keep(`${run.method}:${run.seed}`, r, data.test, data.train),
      });
      this.last = result;
      return result;
    } finally {
      if (this.controller === controller) this.controller = null;
      this.unpause();
    }
  }

  /** The experiment a reload, a crash or a lost GPU interrupted, if any (none while one runs). */
  async interrupted(): Promise<JournalEntry | null> {
    if (this.running) return null;
    return this.storage.journal.read();
  }

  async discardInterrupted(): Promise<void> {
    if (this.running) throw new EngineError('INVALID_CONFIG', 'A running experiment cannot be discarded; cancel it first');
    await this.storage.discard();
  }

  async deleteCheckpoints(): Promise<void> {
    if (this.running) throw new EngineError('INVALID_CONFIG', 'Checkpoints of a running experiment cannot be deleted');
    await this.storage.deleteCheckpoints();
  }

  /** Write a checkpoint of the run in progress after its next step (the tab is being hidden). */
  flush(): void {
    this.flushRequest.requested = this.running;
  }

  pause(): void {
    if (this.paused || !this.running) return;
    let release = () => {};
    const promise = new Promise<void>((r) => (release = r));
    this.paused = { promise, release };
  }

  unpause(): void {
    this.paused?.release();
    this.paused = null;
  }

  cancel(): void {
    this.controller?.abort();
    this.unpause();
  }
}
