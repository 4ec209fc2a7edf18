/**
 * The experiment the worker runs: one session at a time over the held dataset, holding the
 * trainer lock (one trainer per browser profile) for as long as it runs, with pause and unpause,
 * cancel, a checkpoint flush when the tab is hidden, GPU faults checked before every step, the
 * disk it needs checked first, each finished run kept in storage for Inspect and Export, the
 * History record written before the journal goes, and the memory in use pushed with the events
 * (at most once a second), so the page never polls. Work that must not interleave with a
 * training step on the GPU (export, opening a bundle, predicting with it) waits for the step in
 * flight and runs before the next one (`between`), also while paused.
 *
 * Owns: the running session's controls and the interrupted experiment's (resume, discard, delete
 * checkpoints). Runs in the studio worker.
 */
import { EngineError } from '../core/errors';
import type { StudioEvent } from '../core/events';
import type { DatasetInfo, ExperimentResult, RunRecord } from '../core/results';
import { parseSpec, type ExperimentSpec } from '../core/spec';
import { runSession, SessionStorage, type Study } from '../experiment/session';
import type { ReadWeights } from '../experiment/weights';
import type { JournalEntry } from '../experiment/journal';
import type { RunArchive } from './archive';
import type { Gpu } from './gpu';
import type { Library } from './library';
import { checkSpace } from './storageSupport';
import type { StorageSupport } from './protocol';
import type { TrainerLock } from './trainerLock';

export interface RunOptions {
  /** Continue the interrupted experiment (its own spec) instead of starting `spec`. */
  resume?: boolean;
  onRunError?: 'continue' | 'stop';
  checkpointEverySteps?: number;
  /** Disk the experiment (or what is left of it) will take: checked against the browser's quota before it starts. */
  needBytes?: number;
}

/** A new experiment's id: the start time, safe as a file name, and a few random letters. */
export function newExperimentId(now = new Date()): string {
  return `exp-${now.toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
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
  /** The id of the experiment running now. */
  current: string | null = null;
  /** The experiment running now: its spec, dataset and finished runs so far, for the model cards of exports made meanwhile. */
  live: { spec: ExperimentSpec | null; dataset: DatasetInfo | null; records: RunRecord[] } | null = null;
  /** Jobs waiting for the step in flight to end. */
  private readonly waiting: (() => Promise<void>)[] = [];
  private wake: (() => void) | null = null;

  constructor(
    readonly storage: SessionStorage,
    private readonly gpu: Gpu,
    private readonly archive: RunArchive,
    private readonly lock: TrainerLock,
    private readonly library: Library,
    private readonly support: StorageSupport,
    /** The weights files the spec names, from the origin's storage. */
    private readonly readWeights?: ReadWeights,
  ) {}

  get running(): boolean {
    return this.controller !== null;
  }

  /** Run (or resume) an experiment holding the trainer lock; TRAINING_ELSEWHERE if another tab trains. */
  run(spec: unknown, study: Study | null, onEvent: (e: StudioEvent) => void, options: RunOptions = {}): Promise<ExperimentResult> {
    if (this.running) return Promise.reject(new EngineError('INVALID_CONFIG', 'An experiment is already running in this tab'));
    return this.lock.hold(options.resume ? 'resume here' : 'start an experiment here', () => this.runHeld(spec, study, onEvent, options));
  }

  private async runHeld(spec: unknown, study: Study | null, onEvent: (e: StudioEvent) => void, options: RunOptions): Promise<ExperimentResult> {
    // An out-of-memory error of an earlier experiment is forgotten once the device has room again.
    await this.gpu.recover();
    const fault = this.gpu.fault();
    if (fault) throw fault;
    const previous = await this.storage.journal.read();
    const id = (options.resume ? previous?.id : undefined) ?? newExperimentId();
    const controller = (this.controller = new AbortController());
    this.current = id;
    const live = (this.live = { spec: specOrNull(spec), dataset: study?.info ?? null, records: [] as RunRecord[] });
    let lastMemory = 0;
    try {
      return await runSession(spec, study, {
        id,
        beforeStart: async (parsed, resuming) => {
          await checkSpace(this.support, options.needBytes);
          if (!resuming) {
            // A new experiment replaces the interrupted one: what it kept goes (unless History keeps it).
            await this.library.forget(previous);
            await this.library.tidy([id]);
          }
          await this.archive.begin(id, { resize: parsed.data.resize, seeds: parsed.seeds, dataset: study!.info });
        },
        record: async (result) => void (await this.library.save(id, result)),
        storage: this.storage,
        resume: options.resume,
        onRunError: options.onRunError ?? 'continue',
        checkpointEverySteps: options.checkpointEverySteps,
        signal: controller.signal,
        flush: this.flushRequest,
        gate: async () => {
          const f = this.gpu.fault();
          if (f) throw f;
          await this.drain();
          while (this.paused) {
            await Promise.race([this.paused.promise, new Promise<void>((r) => (this.wake = r))]);
            this.wake = null;
            await this.drain();
          }
        },
        classifyError: (e) => this.gpu.classify(e),
        onEvent: (e) => {
          if (e.type === 'run-end') live.records.push(e.record);
          onEvent(e);
          const now = Date.now();
          if (e.type === 'train' && e.event.type === 'step' && now - lastMemory >= MEMORY_EVERY_MS) {
            lastMemory = now;
            const m = this.gpu.memory();
            onEvent({ type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes, gpuBytes: m.gpuBytes });
          }
        },
        onRunModels: (run, r, data) => this.archive.keep(id, run, r, data.test, data.train),
        readWeights: this.readWeights,
      });
    } finally {
      if (this.controller === controller) this.controller = null;
      this.current = null;
      this.live = null;
      this.unpause();
      await this.drain();
    }
  }

  /**
   * Run `job` now, or, while an experiment trains, between two of its steps: the step in flight
   * ends first and the next waits for the job. Its result or error is the job's own.
   */
  between<T>(job: () => Promise<T>): Promise<T> {
    if (!this.running) return job();
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => job().then(resolve, reject));
      this.wake?.();
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length) await this.waiting.shift()!();
  }

  /** The experiment a reload, a crash or a lost GPU interrupted, if any (none while one runs, here or in another tab). */
  async interrupted(): Promise<JournalEntry | null> {
    if (this.running || (await this.lock.heldElsewhere())) return null;
    return this.storage.journal.read();
  }

  /** What another tab of this browser is training (its journal, once written), or null when no other tab trains. */
  async elsewhere(): Promise<{ experiment: JournalEntry | null } | null> {
    if (!(await this.lock.heldElsewhere())) return null;
    return { experiment: await this.storage.journal.read() };
  }

  /** Resolves once no other tab trains. */
  whenFree(): Promise<void> {
    return this.lock.whenFree();
  }

  async discardInterrupted(): Promise<void> {
    await this.lock.hold('discard it', async () => {
      if (this.running) throw new EngineError('INVALID_CONFIG', 'A running experiment cannot be discarded; cancel it first');
      const journal = await this.storage.journal.read();
      await this.storage.discard();
      await this.library.forget(journal);
    });
  }

  async deleteCheckpoints(): Promise<void> {
    await this.lock.hold('delete checkpoints', async () => {
      if (this.running) throw new EngineError('INVALID_CONFIG', 'Checkpoints of a running experiment cannot be deleted');
      await this.storage.deleteCheckpoints();
    });
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
