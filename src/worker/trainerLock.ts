/**
 * One trainer per browser profile: a Web Lock (`navigator.locks`) held by the tab whose worker
 * trains, for as long as its experiment runs, and taken for a moment by any tab that changes what
 * an experiment keeps (discard, delete, a new experiment's clean-up). Another tab's worker sees it
 * held, so it neither trains, resumes, discards nor deletes while the first trains, and shows the
 * journal's experiment as "training in another tab" rather than as interrupted. The browser frees
 * the lock when the holding tab (or its worker) goes, crash included; a waiting tab is told then.
 *
 * Without Web Locks (old browsers) every operation goes ahead: one tab is assumed.
 *
 * Owns: the lock's name and its use. Runs in the studio worker; the lock manager is injected in tests.
 */
import { EngineError } from '../core/errors';

export const TRAINER_LOCK = 'cohort-studio-trainer';

/** The part of `LockManager` used here. */
export interface Locks {
  request(name: string, options: { ifAvailable?: boolean; mode?: 'exclusive' | 'shared' }, cb: (lock: unknown) => Promise<unknown>): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

export function browserLocks(): Locks | null {
  const l = (globalThis.navigator as { locks?: Locks } | undefined)?.locks;
  return l && typeof l.request === 'function' && typeof l.query === 'function' ? l : null;
}

export function elsewhereError(what: string): EngineError {
  return new EngineError(
    'TRAINING_ELSEWHERE',
    `An experiment is training in another tab of this browser: ${what} once that tab is closed or its experiment ends.`,
    'tab',
  );
}

export class TrainerLock {
  /** Held by this worker now (a nesting depth: a run holds it while its clean-up takes it again). */
  private depth = 0;

  constructor(private readonly locks: Locks | null = browserLocks()) {}

  get available(): boolean {
    return this.locks !== null;
  }

  /**
   * Run `fn` holding the lock; `what` says what waits (for the error). Throws TRAINING_ELSEWHERE
   * at once when another tab holds it. Inside a `hold` of this worker, runs `fn` directly.
   */
  async hold<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (!this.locks || this.depth > 0) return this.inside(fn);
    let granted = false;
    let out: T | undefined;
    await this.locks.request(TRAINER_LOCK, { ifAvailable: true }, async (lock) => {
      if (!lock) return;
      granted = true;
      out = await this.inside(fn);
    });
    if (!granted) throw elsewhereError(what);
    return out as T;
  }

  private async inside<T>(fn: () => Promise<T>): Promise<T> {
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
    }
  }

  /** Whether another tab holds the lock (this worker does not). */
  async heldElsewhere(): Promise<boolean> {
    if (!this.locks || this.depth > 0) return false;
    const q = await this.locks.query();
    return (q.held ?? []).some((l) => l.name === TRAINER_LOCK);
  }

  /** Resolves once no tab holds the lock (it is taken and let go at once). */
  async whenFree(): Promise<void> {
    if (!this.locks) return;
    await this.locks.request(TRAINER_LOCK, {}, async () => {});
  }
}
