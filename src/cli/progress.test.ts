import { describe, expect, it } from 'vitest';
import type { ExperimentEvent } from '../core/events';
import { defaultSpec } from '../core/spec';
import { cliReporter, formatDuration, ProgressMeter } from './progress';

describe('the progress line', () => {
  it('formats durations', () => {
    expect([0, 12.4, 65, 3599, 3600 * 3 + 7 * 60, 86400 * 2 + 3600 * 4].map(formatDuration)).toEqual([
      '0 s',
      '12 s',
      '1 min 05 s',
      '59 min 59 s',
      '3 h 07 min',
      '2 d 04 h',
    ]);
    expect(formatDuration(NaN)).toBe('?');
  });

  it('gives the time left from this session speed; steps done before a resume count as done, not as speed', () => {
    const m = new ProgressMeter();
    m.start(1000, 400, 0);
    expect(m.secondsLeft(5000)).toBeNull();
    expect(m.line(5000)).toBe('progress 40.0 % (400 of 1,000 steps), speed not known yet');
    // A run continued from its checkpoint after 100 steps, then 50 steps in 10 s.
    m.resumed(100);
    for (let i = 0; i < 50; i++) m.step();
    expect(m.done).toBe(550);
    expect(m.rate(10_000)).toBe(5);
    expect(m.secondsLeft(10_000)).toBe(90);
    expect(m.line(10_000)).toBe('progress 55.0 % (550 of 1,000 steps), 5.00 steps/s, 1 min 30 s left');
  });

  it('prints the progress line in a log at most every few seconds and after every run', () => {
    const out: string[] = [];
    let t = 0;
    const r = cliReporter(defaultSpec({ methods: ['ml'], seeds: [0] }), { quiet: true, tty: false, everySeconds: 30, write: (s) => out.push(s), now: () => t });
    const run = { index: 0, method: 'ml' as const, seed: 0, sharedTeacher: false };
    const step = {
      type: 'train',
      run,
      seed: 0,
      event: { type: 'step', phase: 'cohort', epoch: 0, step: 0, globalStep: 1, stepsPerEpoch: 10, losses: {}, imagesPerSec: 1, ms: 1 },
    } as ExperimentEvent;
    r.onEvent({ type: 'experiment-start', runs: [run], teacherTrainings: 0, totalSteps: 10, doneSteps: 0 });
    r.onEvent({ type: 'run-start', run });
    for (let i = 0; i < 10; i++) {
      t += 10_000;
      r.onEvent(step);
    }
    r.onEvent({ type: 'run-end', run, record: { method: 'ml', seed: 0, status: 'done' } as never });
    r.close();
    const progress = out.filter((l) => l.includes('progress'));
    // The first step, then every 30 s (steps at 40, 70, 100 s), then the run's end.
    expect(progress).toHaveLength(5);
    expect(progress[progress.length - 1]).toBe('[1 min 40 s] progress 100.0 % (10 of 10 steps), 0.10 steps/s, 0 s left\n');
    expect(out.some((l) => l.includes('\r'))).toBe(false);
  });
});
