/**
 * What the command line prints while an experiment runs: a line per run and per shared teacher,
 * each epoch's metrics (unless quiet), and a progress line with the share of the experiment's
 * steps done, the speed and the time left. On a terminal the progress line is redrawn in place;
 * in a log (a Slurm job's output, a pipe) it is printed every `everySeconds` and after every run,
 * so the log stays short and still says how far the experiment is.
 *
 * The time left comes from the steps done in this session and the time they took (model set-up
 * and evaluations included, as they recur), over the steps still to do; steps done before a
 * resume count as done but not towards the speed.
 *
 * Owns: `ProgressMeter`, `formatDuration`, `cliReporter`. No TensorFlow.js.
 */
import { MODE_LABELS } from '../core/config';
import type { ExperimentEvent } from '../core/events';
import type { ExperimentSpec } from '../core/spec';

/** "12 s", "4 min 05 s", "3 h 07 min", "2 d 04 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  return `${Math.floor(s / 86400)} d ${pad(Math.floor((s % 86400) / 3600))} h`;
}

/** Steps of the experiment done and to do, and the speed of this session. */
export class ProgressMeter {
  total = 0;
  done = 0;
  private sessionSteps = 0;
  private startedAt = 0;

  /** The experiment's step counts, from its `experiment-start` event, at time `now` (ms). */
  start(totalSteps: number, doneSteps: number, now: number): void {
    this.total = totalSteps;
    this.done = doneSteps;
    this.sessionSteps = 0;
    this.startedAt = now;
  }

  /** A run (or teacher pre-training) continued from a checkpoint taken after `globalStep` steps. */
  resumed(globalStep: number): void {
    this.done += globalStep;
  }

  step(): void {
    this.done++;
    this.sessionSteps++;
  }

  /** Steps per second in this session, or null before its first step. */
  rate(now: number): number | null {
    const s = (now - this.startedAt) / 1000;
    return this.sessionSteps > 0 && s > 0 ? this.sessionSteps / s : null;
  }

  /** Seconds left at this session's speed, or null before its first step. */
  secondsLeft(now: number): number | null {
    const r = this.rate(now);
    return r ? Math.max(0, this.total - this.done) / r : null;
  }

  line(now: number): string {
    const share = this.total ? (100 * Math.min(this.done, this.total)) / this.total : 0;
    const r = this.rate(now);
    const left = this.secondsLeft(now);
    const fmt = (n: number) => n.toLocaleString('en-US');
    return `progress ${share.toFixed(1)} % (${fmt(Math.min(this.done, this.total))} of ${fmt(this.total)} steps), ${
      r === null ? 'speed not known yet' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)} steps/s, ${formatDuration(left!)} left`
    }`;
  }
}

export interface ReporterOptions {
  quiet: boolean;
  /** Redraw the progress line in place (a terminal) or print it as log lines. */
  tty: boolean;
  /** In a log: print the progress line at most this often (and after every run). */
  everySeconds: number;
  write: (text: string) => void;
  now?: () => number;
}

/** The command line's event printer; `close()` ends the progress line. */
export function cliReporter(spec: ExperimentSpec, o: ReporterOptions): { onEvent: (e: ExperimentEvent) => void; close: () => void } {
  const now = o.now ?? (() => Date.now());
  const t0 = now();
  const meter = new ProgressMeter();
  let planned: { index: number }[] = [];
  const total = spec.methods.length * spec.seeds.length;
  let current = '';
  let lastLine = -Infinity;
  let drawn = false;
  const at = () => `[${formatDuration((now() - t0) / 1000)}]`;
  const status = () => `${at()} ${meter.line(now())}${current ? `; ${current}` : ''}`;
  const log = (text: string) => {
    if (drawn) o.write('\r\x1b[K');
    o.write(`${text}\n`);
    drawn = false;
    if (o.tty && meter.total) draw();
  };
  const draw = () => {
    o.write(`\r\x1b[K${status()}`);
    drawn = true;
  };
  const tick = (force: boolean) => {
    const t = now();
    if (o.tty) {
      if (force || t - lastLine >= 250) {
        draw();
        lastLine = t;
      }
    } else if (force || t - lastLine >= o.everySeconds * 1000) {
      log(status());
      lastLine = t;
    }
  };
  const onEvent = (e: ExperimentEvent) => {
    switch (e.type) {
      case 'experiment-start':
        meter.start(e.totalSteps, e.doneSteps, now());
        planned = e.runs;
        log(
          `${at()} ${e.runs.length} runs (${spec.methods.map((m) => MODE_LABELS[m]).join(', ')} x seeds ${Array.from(new Set(e.runs.map((r) => r.seed))).join(', ')}), ${e.teacherTrainings} shared teacher pre-training${e.teacherTrainings === 1 ? '' : 's'}, ${e.totalSteps.toLocaleString('en-US')} steps${e.doneSteps ? ` (${e.doneSteps.toLocaleString('en-US')} done before)` : ''}`,
        );
        break;
      case 'teacher-start':
        current = `teacher of seed ${e.seed}`;
        log(`${at()} seed ${e.seed}: pre-training the teacher (shared by KD and KD+ML offline)`);
        break;
      case 'teacher-end':
        log(`${at()} seed ${e.seed}: teacher pre-trained in ${formatDuration(e.ms / 1000)}`);
        break;
      case 'run-start':
        current = `run ${e.run.index + 1} of ${total}: ${MODE_LABELS[e.run.method]} seed ${e.run.seed}`;
        break;
      case 'train': {
        const ev = e.event;
        if (ev.type === 'step') {
          meter.step();
          tick(false);
        } else if (ev.type === 'resumed') {
          meter.resumed(ev.globalStep);
          log(`${at()}   continuing ${ev.key} from its checkpoint (epoch ${ev.epoch + 1}, step ${ev.step})`);
        } else if (ev.type === 'start') {
          log(
            `${at()} ${current}${planned.length < total ? ` (${planned.findIndex((r) => r.index === e.run!.index) + 1} of ${planned.length} in this part)` : ''}`,
          );
        } else if (ev.type === 'epoch' && !o.quiet) {
          const v = ev.evaluation;
          const parts = [...Object.entries(v.networks), ...Object.entries(v.ensembles).map(([k, m]) => [`ensemble(${k})`, m] as const)].map(
            ([n, m]) => `${n} ${('accuracy' in m ? m.accuracy : m.meanIoU).toFixed(3)}`,
          );
          log(`${at()}   ${v.phase} epoch ${v.epoch + 1}: ${parts.join(', ')}`);
        }
        break;
      }
      case 'run-end':
        log(
          `${at()} run ${e.run.index + 1} (${MODE_LABELS[e.run.method]} seed ${e.run.seed}) ${e.record.status}${e.record.error ? `: ${e.record.error.code} ${e.record.error.message}` : ''}`,
        );
        current = '';
        tick(true);
        break;
      default:
        break;
    }
  };
  return {
    onEvent,
    close: () => {
      if (drawn) o.write('\n');
      drawn = false;
    },
  };
}
