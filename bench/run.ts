/**
 * `npm run bench`: times the engine's real cohort training step (../src/engine/trainer.ts: every
 * network forward in training mode, the KD+ML online losses, one backward, the optimiser) under
 * TensorFlow.js WebGPU in Node (Dawn), in up to three modes in the same process: `stock` (tfjs's
 * kernels, eager), `fast` (the engine's kernels, eager: the trainer's step with replay off) and
 * `replay` (the engine's kernels through the step graph, ../src/engine/stepGraph.ts: recorded once,
 * replayed, losses read one step late), with the data pipeline (assembleBatch) beside it.
 *
 *   npm run bench -- --configs v1-quick --size 32 --steps 5 --json out.json
 *
 * Flags: --configs (bench/configs.ts; default tiny), --steps, --warmup (at least 3 when replay
 * runs: eager, record, check), --modes (default fast,replay), --json FILE, --check (kernel
 * correctness first; exit 1 on a failure), --breakdown (dispatches of one step by pipeline),
 * --profile (GPU time per kernel of one eager step, timestamp queries), --flags K=V,... (backend
 * flags while fast), --stock-kernels Conv2D,... (replacement kernels left stock while fast;
 * CohortLoss: the stock losses), --sgd-per-dispatch N (variables per optimiser dispatch, 1 to 4),
 * --size/--width/--batch (override the configs), --adapter (the adapter's features and limits, then
 * exit), --null-device (Dawn's Null backend: every command
 * is validated and counted but nothing runs, so dispatches per step and pool memory at 224 px are
 * counted without a GPU; times and losses mean nothing there), --calibrate [N] (GEMM TFLOP/s of the
 * convolution kernels on the N costliest V1 shapes, fast vs stock: ./calibrate.ts), --dawn MODULE
 * (Dawn's module; default ./webgpu/index.js beside this file if present, else the `webgpu` package),
 * --no-bn-relu-fusion (BatchNorm + ReLU pairs as two layers while fast, to compare).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { assembleBatch, drawAugment, type Batch } from '../src/engine/batch';
import { defaultRunConfig, type RunConfig } from '../src/core/config';
import { runAllChecks, type CheckResult } from '../src/engine/kernels/checks';
import { disableFastKernels, enableFastKernels, FAST_FLAGS } from '../src/engine/kernels/fastKernels';
import { setBatchNormReluFusion } from '../src/engine/kernels/FastBatchNorm';
import { setReplayEnabled } from '../src/engine/kernels/state';
import { setSgdVariablesPerDispatch } from '../src/engine/kernels/SgdMomentumUpdate';
import type { StepGraphStats } from '../src/engine/stepGraph';
import { startDawn, type DawnInfo } from '../src/engine/kernels/nodeWebGPU';
import { trainableParamCount } from '../src/engine/networks';
import { Rng } from '../src/core/rng';
import { buildCohort, cohortStepper, makeTrainee, trainStep, type PhaseSpec } from '../src/engine/trainer';
import { generateClassification } from '../src/data/synthetic';
import { resolveConfigs, type BenchConfig } from './configs';
import { gpuIdle, Instrument } from './instrument';
import { calibrate, type CalibrationRow } from './calibrate';
import { shrinkBuffersOnNullDevice } from './nullDevice';

type Mode = 'stock' | 'fast' | 'replay';
const MODES: Mode[] = ['stock', 'fast', 'replay'];

interface ModeResult {
  /** Median ms per step; for replay, steps overlap as in the trainer (the next is issued before the last is read). */
  msPerStep: number;
  msPerStepAll: number[];
  imagesPerSec: number;
  /** Median CPU ms to record and issue one step (eager: tfjs's work, without waiting for the loss; replay: the replay call). */
  cpuMsPerStep: number;
  cpuMsAll: number[];
  dispatchesPerStep: number;
  peakGpuMB: number;
  peakGpuAllocatedMB: number;
  tensorsDelta: number;
  warmupMs: number;
  graph?: StepGraphStats;
  breakdown?: Record<string, number>;
  profile?: { kernelMs: number; wallMs: number; top: { name: string; ms: number; calls: number }[] };
}

interface ConfigResult {
  config: BenchConfig;
  params: Record<string, number>;
  modes: Partial<Record<Mode, ModeResult>>;
  /** stock over fast: how much the engine's kernels gain, eager. */
  ratios?: { speedup: number; dispatchRatio: number; memoryRatio: number };
  /** fast (eager) over replay, in the same process on the same batches. */
  replay?: { speedup: number; cpuRatio: number; memoryRatio: number; maxWeightDiff: number; weightsCompared: number };
  data: { imagesPerSec: number; vsTraining: number; ok: boolean };
}

function parseArgs(argv: string[]) {
  const a: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      a[k.slice(2)] = next;
      i++;
    } else a[k.slice(2)] = true;
  }
  return a;
}

function parseFlags(s: string | boolean | undefined): Record<string, number | boolean> | undefined {
  if (typeof s !== 'string') return undefined;
  const out: Record<string, number | boolean> = {};
  for (const kv of s.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    out[k] = v === 'true' ? true : v === 'false' ? false : Number(v);
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function runConfigOf(b: BenchConfig): RunConfig {
  return defaultRunConfig({
    mode: 'kdml_online',
    classes: 2,
    inputSize: b.inputSize,
    batchSize: b.batch,
    teacher: { arch: b.teacher, width: b.width },
    students: b.students.map((arch) => ({ arch, width: b.width })),
  });
}

function makeBatches(c: RunConfig, n: number): Batch[] {
  const data = generateClassification({ count: c.batchSize * n, size: c.inputSize, classes: c.classes, seed: 3 });
  const rng = new Rng(7);
  return Array.from({ length: n }, (_, k) => {
    const idx = Array.from({ length: c.batchSize }, (_, i) => k * c.batchSize + i);
    return assembleBatch(
      data,
      idx,
      c.normalization,
      c.classes,
      idx.map(() => drawAugment(rng, c.augment)),
    );
  });
}

/** assembleBatch throughput (augmentation + normalisation into float), images per second. */
function dataPipeline(c: RunConfig): number {
  const data = generateClassification({ count: Math.max(64, c.batchSize * 4), size: c.inputSize, classes: c.classes, seed: 4 });
  const rng = new Rng(9);
  let images = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 500 || images < c.batchSize * 4) {
    const idx = rng.shuffled(Array.from({ length: data.count }, (_, i) => i)).slice(0, c.batchSize);
    assembleBatch(
      data,
      idx,
      c.normalization,
      c.classes,
      idx.map(() => drawAugment(rng, c.augment)),
    );
    images += idx.length;
  }
  return (images * 1000) / (performance.now() - t0);
}

interface ModeRun {
  result: ModeResult;
  weights: Float32Array[];
  params: Record<string, number>;
}

/** A fresh cohort (same seed in every mode), `warmup` untimed and `steps` timed steps on `batches`. */
async function benchMode(
  mode: Mode,
  c: RunConfig,
  batches: Batch[],
  inst: Instrument,
  opts: {
    warmup: number;
    steps: number;
    breakdown: boolean;
    profile: boolean;
    flags?: Record<string, number | boolean>;
    keepStock?: string[];
    keepWeights: boolean;
  },
): Promise<ModeRun> {
  if (mode === 'stock') disableFastKernels();
  else enableFastKernels({ ...(opts.flags ? { flags: opts.flags } : {}), keepStock: opts.keepStock });
  setReplayEnabled(mode === 'replay');
  const built = buildCohort(c, true);
  const trainees = built.map((m) => makeTrainee(m.name, m.model, c));
  const spec: PhaseSpec = {
    phase: 'cohort',
    epochs: 1,
    trainees,
    students: built.filter((m) => m.role === 'student').map((m) => m.name),
    teacherName: 'teacher',
    frozenTeacher: null,
  };
  const stepper = mode === 'replay' ? cohortStepper(c, spec) : null;
  if (stepper && !stepper.graph) throw new Error('replay mode needs WebGPU with the fast kernels');
  let i = 0;
  // Eager: one step, then wait for the GPU. Replay: issue the step, then wait for the previous one.
  let inFlight: Promise<unknown> | null = null;
  const cpu: number[] = [];
  const step = async () => {
    const batch = batches[i % batches.length];
    if (stepper) {
      const p = stepper.run(batch, 0, i);
      cpu.push(stepper.graph!.lastIssueMs);
      if (inFlight) await inFlight;
      inFlight = p;
    } else {
      const timing = { issueMs: 0 };
      await trainStep(c, spec, batch, 0, i, timing);
      cpu.push(timing.issueMs);
      await gpuIdle();
    }
    i++;
  };
  const drain = async () => {
    if (inFlight) await inFlight;
    inFlight = null;
    await gpuIdle();
  };
  const tw = performance.now();
  for (let k = 0; k < opts.warmup; k++) await step();
  await drain();
  const warmupMs = performance.now() - tw;
  cpu.length = 0;
  const tensorsBefore = tf.memory().numTensors;
  const dispatches: number[] = [];
  const times: number[] = [];
  inst.resetPeak();
  let last = performance.now();
  for (let k = 0; k < opts.steps; k++) {
    const d0 = inst.dispatches;
    await step();
    if (k === opts.steps - 1) await drain();
    const now = performance.now();
    times.push(now - last);
    last = now;
    dispatches.push(inst.dispatches - d0);
  }
  const r: ModeResult = {
    msPerStep: median(times),
    msPerStepAll: times.map((t) => Math.round(t * 10) / 10),
    imagesPerSec: (c.batchSize * 1000) / median(times),
    cpuMsPerStep: median(cpu),
    cpuMsAll: cpu.map((t) => Math.round(t * 100) / 100),
    dispatchesPerStep: median(dispatches),
    peakGpuMB: inst.peakUsed / 2 ** 20,
    peakGpuAllocatedMB: inst.peakAllocated / 2 ** 20,
    tensorsDelta: tf.memory().numTensors - tensorsBefore,
    warmupMs,
  };
  if (stepper) r.graph = { ...stepper.graph!.stats };
  if (opts.breakdown)
    r.breakdown = await inst.breakdown(async () => {
      await step();
      await drain();
    });
  if (opts.profile && !stepper) r.profile = await profileStep(step);
  const params = Object.fromEntries(built.map((m) => [`${m.name}:${m.arch}`, trainableParamCount(m.model)]));
  const weights = opts.keepWeights ? await Promise.all(built.flatMap((m) => m.model.weights.map((w) => w.read().data() as Promise<Float32Array>))) : [];
  await stepper?.dispose();
  for (const t of trainees) t.optimizer.dispose();
  for (const m of built) m.model.dispose();
  setReplayEnabled(true);
  return { result: r, weights, params };
}

function maxDifference(a: Float32Array[], b: Float32Array[]): { max: number; n: number } {
  let max = 0;
  let n = 0;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) {
      const d = Math.abs(x[j] - b[i][j]);
      max = Number.isNaN(d) ? Infinity : Math.max(max, d);
      n++;
    }
  });
  return { max, n };
}

/**
 * GPU time per kernel for one step (tf.profile with timestamp queries: each program in a pass of
 * its own, so the step is slower than unprofiled). Kernels that are not tfjs kernels (the fused
 * optimiser) are not in it.
 */
async function profileStep(step: () => Promise<void>): Promise<ModeResult['profile']> {
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - t0;
  const by = new Map<string, { ms: number; calls: number }>();
  let kernelMs = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += ms;
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    by.set(k.name, e);
  }
  const top = [...by.entries()]
    .map(([name, e]) => ({ name, ms: Math.round(e.ms * 100) / 100, calls: e.calls }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 15);
  return { kernelMs, wallMs, top };
}

function fmt(n: number, d = 1): string {
  return Number.isFinite(n) ? n.toFixed(d) : '-';
}

function table(results: ConfigResult[]): string {
  const rows = [['config', 'mode', 'ms/step', 'img/s', 'CPU ms/step', 'dispatches/step', 'peak GPU MB', 'tensor delta', 'data img/s (x train)']];
  for (const r of results) {
    for (const m of MODES) {
      const x = r.modes[m];
      if (!x) continue;
      rows.push([
        r.config.id,
        m,
        fmt(x.msPerStep),
        fmt(x.imagesPerSec),
        fmt(x.cpuMsPerStep, 2),
        String(x.dispatchesPerStep),
        fmt(x.peakGpuMB, 0),
        String(x.tensorsDelta),
        m === MODES.filter((k) => r.modes[k]).slice(-1)[0] ? `${fmt(r.data.imagesPerSec, 0)} (${fmt(r.data.vsTraining)}x)` : '',
      ]);
    }
    if (r.ratios)
      rows.push([
        r.config.id,
        'stock/fast',
        `${fmt(r.ratios.speedup, 2)}x`,
        '',
        '',
        `${fmt(r.ratios.dispatchRatio, 2)}x`,
        `${fmt(r.ratios.memoryRatio, 2)}x`,
        '',
        '',
      ]);
    if (r.replay)
      rows.push([
        r.config.id,
        'fast/replay',
        `${fmt(r.replay.speedup, 2)}x`,
        '',
        `${fmt(r.replay.cpuRatio, 1)}x`,
        '',
        `${fmt(r.replay.memoryRatio, 2)}x`,
        `max |w diff| ${r.replay.maxWeightDiff}`,
        '',
      ]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(w[j])).join('  ')).join('\n');
}

/** `--adapter`: the WebGPU adapter's info, features and limits, plain and with allow_unsafe_apis. */
async function printAdapters(dawnModule: string): Promise<void> {
  const dawn = (await import(/* @vite-ignore */ dawnModule)) as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  for (const flags of [[], ['enable-dawn-features=allow_unsafe_apis']]) {
    const adapter = await dawn.create(flags).requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      console.log(`ADAPTER ${JSON.stringify(flags)}: none`);
      continue;
    }
    const limits: Record<string, number> = {};
    for (const k in adapter.limits) limits[k] = (adapter.limits as unknown as Record<string, number>)[k];
    const info = (adapter as unknown as { info?: Record<string, unknown> }).info ?? {};
    console.log(`ADAPTER ${JSON.stringify(flags)} info ${JSON.stringify(info)}`);
    console.log(`ADAPTER ${JSON.stringify(flags)} features ${JSON.stringify([...adapter.features].sort())}`);
    console.log(`ADAPTER ${JSON.stringify(flags)} limits ${JSON.stringify(limits)}`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'webgpu', 'index.js');
  const dawn = typeof args.dawn === 'string' ? args.dawn : existsSync(beside) ? pathToFileURL(beside).href : 'webgpu';
  if (args.adapter) {
    await printAdapters(dawn);
    process.exit(0);
  }
  const dawnFlags = [...(args.profile ? ['enable-dawn-features=allow_unsafe_apis'] : []), ...(args['null-device'] ? ['backend=null'] : [])];
  const info: DawnInfo = await startDawn(dawn, dawnFlags);
  const nullDevice = args['null-device'] ? shrinkBuffersOnNullDevice() : null;
  const inst = new Instrument();
  inst.install();
  console.log(`backend ${info.backend}; adapter ${JSON.stringify(info.adapter)}`);

  let checks: CheckResult[] | undefined;
  if (args.check) {
    checks = await runAllChecks();
    for (const r of checks) console.log(`CHECK ${r.ok ? 'ok  ' : 'FAIL'} ${r.kernel} ${r.case} relErr=${r.relErr.toExponential(2)}`);
    console.log(`CHECKS ${checks.filter((r) => r.ok).length} ok, ${checks.filter((r) => !r.ok).length} failed (tolerance 1e-4)`);
  }

  const configs = resolveConfigs(typeof args.configs === 'string' ? args.configs : args.check || args.calibrate ? '' : 'tiny', {
    ...(args.size ? { inputSize: Number(args.size) } : {}),
    ...(args.width ? { width: Number(args.width) } : {}),
    ...(args.batch ? { batch: Number(args.batch) } : {}),
  });
  const modes = (typeof args.modes === 'string' ? args.modes : 'fast,replay').split(',') as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode "${m}"; known: ${MODES.join(', ')}`);
  const steps = Number(args.steps ?? 5);
  // A replayed step needs three before it: eager (momentum buffers), recorded, checked.
  const warmup = Math.max(Number(args.warmup ?? 2), modes.includes('replay') ? 3 : 0);
  const flags = parseFlags(args.flags);
  const keepStock = typeof args['stock-kernels'] === 'string' ? args['stock-kernels'].split(',') : undefined;
  const bnReluFusion = !args['no-bn-relu-fusion'];
  setBatchNormReluFusion(bnReluFusion);
  if (args['sgd-per-dispatch']) setSgdVariablesPerDispatch(Number(args['sgd-per-dispatch']));
  const results: ConfigResult[] = [];
  let calibration: CalibrationRow[] | undefined;
  const report = () => ({
    date: new Date().toISOString(),
    adapter: info.adapter,
    tfjs: tf.version.tfjs,
    fastFlags: flags ?? FAST_FLAGS,
    keepStock,
    bnReluFusion,
    steps,
    warmup,
    checks,
    results,
    calibration,
    nullDevice: !!args['null-device'],
  });
  // Written after every configuration too, so a run cut short by a time limit keeps what it measured.
  const save = () => {
    if (typeof args.json === 'string') writeFileSync(args.json, JSON.stringify(report(), null, 2));
  };
  save();
  if (args.calibrate) {
    calibration = await calibrate({
      log: (l) => console.log(l),
      shapes: typeof args.calibrate === 'string' ? Number(args.calibrate) : 10,
      ...(args.size ? { inputSize: Number(args.size) } : {}),
      ...(args.width ? { width: Number(args.width) } : {}),
      ...(args.batch ? { batch: Number(args.batch) } : {}),
    });
    save();
  }
  for (const b of configs) {
    const c = runConfigOf(b);
    const batches = makeBatches(c, 2);
    const r: ConfigResult = {
      config: b,
      params: {},
      modes: {},
      data: { imagesPerSec: dataPipeline(c), vsTraining: NaN, ok: true },
    };
    const weights: Partial<Record<Mode, Float32Array[]>> = {};
    for (const m of modes) {
      console.log(`${b.id} ${m}: ${b.teacher} + ${b.students.join(' + ')}, ${b.inputSize} px, width ${b.width}, batch ${b.batch} ...`);
      const run = await benchMode(m, c, batches, inst, {
        warmup,
        steps,
        breakdown: !!args.breakdown,
        profile: !!args.profile,
        flags,
        keepStock,
        // Nothing runs on the Null device, and reading every weight back would overrun its 512 MB.
        keepWeights: !nullDevice && (m === 'fast' || m === 'replay') && modes.includes('fast') && modes.includes('replay'),
      });
      r.modes[m] = run.result;
      r.params = run.params;
      weights[m] = run.weights;
      const x = run.result;
      console.log(
        `  ${fmt(x.msPerStep)} ms/step, CPU ${fmt(x.cpuMsPerStep, 2)} ms/step, ${x.dispatchesPerStep} dispatches/step, peak ${fmt(x.peakGpuMB, 0)} MB, steps ${JSON.stringify(x.msPerStepAll)}`,
      );
      if (x.graph) console.log(`  graph ${JSON.stringify(x.graph)}`);
      if (x.breakdown) console.log(`  breakdown ${JSON.stringify(x.breakdown)}`);
      const pr = x.profile;
      if (pr)
        console.log(
          `  profile: kernels ${fmt(pr.kernelMs)} ms of a ${fmt(pr.wallMs)} ms profiled step; top ${pr.top.map((k) => `${k.name} ${k.ms}ms/${k.calls}`).join(', ')}`,
        );
    }
    const s = r.modes.stock;
    const f = r.modes.fast;
    const rp = r.modes.replay;
    if (s && f)
      r.ratios = { speedup: s.msPerStep / f.msPerStep, dispatchRatio: s.dispatchesPerStep / f.dispatchesPerStep, memoryRatio: s.peakGpuMB / f.peakGpuMB };
    if (f && rp) {
      const d = nullDevice ? { max: NaN, n: 0 } : maxDifference(weights.fast!, weights.replay!);
      r.replay = {
        speedup: f.msPerStep / rp.msPerStep,
        cpuRatio: f.cpuMsPerStep / rp.cpuMsPerStep,
        memoryRatio: rp.peakGpuMB / f.peakGpuMB,
        maxWeightDiff: d.max,
        weightsCompared: d.n,
      };
      console.log(
        `RESULT ${b.id} fast/replay: ${fmt(r.replay.speedup, 2)}x ms/step, ${fmt(r.replay.cpuRatio, 1)}x CPU per step, memory replay/fast ${fmt(r.replay.memoryRatio, 2)}x, max |weight difference| ${d.max} over ${d.n} values`,
      );
    }
    const best = Math.max(...Object.values(r.modes).map((x) => x!.imagesPerSec));
    r.data.vsTraining = r.data.imagesPerSec / best;
    r.data.ok = r.data.vsTraining >= 5;
    results.push(r);
    save();
  }
  disableFastKernels();
  if (results.length) console.log('\n' + table(results));
  if (nullDevice)
    console.log(`NULL DEVICE: nothing ran; times, losses and weight differences mean nothing (${nullDevice.errors()} validation errors, expected)`);
  save();
  const failed = (checks ?? []).filter((r) => !r.ok).length;
  const slowData = results.filter((r) => !r.data.ok).map((r) => r.config.id);
  if (slowData.length) console.log(`WARNING data pipeline under 5x training throughput: ${slowData.join(', ')}`);
  if (failed) console.log(`${failed} kernel check(s) FAILED`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
