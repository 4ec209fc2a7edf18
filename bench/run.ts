/**
 * `npm run bench`: times the engine's real cohort training step (../src/engine/trainer.ts's
 * trainStep: every network forward in training mode, the KD+ML online losses, one backward, the
 * optimiser) under TensorFlow.js WebGPU in Node (Dawn), with the stock kernels and with the fast
 * ones (../src/engine/kernels/fastKernels.ts) in the same process, and the data pipeline
 * (assembleBatch) beside it.
 *
 *   npm run bench -- --configs v1-quick,v2-quick --steps 5 --warmup 2 --json out.json
 *
 * Flags: --configs (bench/configs.ts; default tiny), --steps, --warmup, --modes stock,fast,
 * --json FILE, --check (kernel correctness first; exit 1 on a failure), --breakdown (dispatches of
 * one step by pipeline), --profile (GPU time per kernel of one step, timestamp queries),
 * --flags K=V,... (backend flags while fast), --size/--width/--batch
 * (override the configs), --dawn MODULE (Dawn's module; default ./webgpu/index.js beside this file
 * if present, else the `webgpu` package).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { assembleBatch, drawAugment, type Batch } from '../src/engine/batch';
import { defaultRunConfig, type RunConfig } from '../src/core/config';
import { runAllChecks, type CheckResult } from '../src/engine/kernels/checks';
import { disableFastKernels, enableFastKernels, FAST_FLAGS } from '../src/engine/kernels/fastKernels';
import { startDawn, type DawnInfo } from '../src/engine/kernels/nodeWebGPU';
import { trainableParamCount } from '../src/engine/networks';
import { Rng } from '../src/core/rng';
import { buildCohort, makeTrainee, trainStep, type PhaseSpec } from '../src/engine/trainer';
import { generateClassification } from '../src/data/synthetic';
import { resolveConfigs, type BenchConfig } from './configs';
import { gpuIdle, Instrument } from './instrument';

type Mode = 'stock' | 'fast';

interface ModeResult {
  msPerStep: number;
  msPerStepAll: number[];
  imagesPerSec: number;
  dispatchesPerStep: number;
  peakGpuMB: number;
  peakGpuAllocatedMB: number;
  tensorsDelta: number;
  warmupMs: number;
  breakdown?: Record<string, number>;
  profile?: { kernelMs: number; wallMs: number; top: { name: string; ms: number; calls: number }[] };
}

interface ConfigResult {
  config: BenchConfig;
  params: Record<string, number>;
  modes: Partial<Record<Mode, ModeResult>>;
  ratios?: { speedup: number; dispatchRatio: number; memoryRatio: number };
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

async function benchMode(
  mode: Mode,
  c: RunConfig,
  spec: PhaseSpec,
  batches: Batch[],
  inst: Instrument,
  opts: { warmup: number; steps: number; breakdown: boolean; profile: boolean; flags?: Record<string, number | boolean> },
): Promise<ModeResult> {
  if (mode === 'fast') enableFastKernels(opts.flags ? { flags: opts.flags } : {});
  else disableFastKernels();
  let i = 0;
  const step = async () => {
    await trainStep(c, spec, batches[i % batches.length], 0, i);
    i++;
    await gpuIdle();
  };
  const tw = performance.now();
  for (let k = 0; k < opts.warmup; k++) await step();
  const warmupMs = performance.now() - tw;
  const tensorsBefore = tf.memory().numTensors;
  const dispatches: number[] = [];
  const times: number[] = [];
  inst.resetPeak();
  for (let k = 0; k < opts.steps; k++) {
    const d0 = inst.dispatches;
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    dispatches.push(inst.dispatches - d0);
  }
  const r: ModeResult = {
    msPerStep: median(times),
    msPerStepAll: times.map((t) => Math.round(t * 10) / 10),
    imagesPerSec: (c.batchSize * 1000) / median(times),
    dispatchesPerStep: median(dispatches),
    peakGpuMB: inst.peakUsed / 2 ** 20,
    peakGpuAllocatedMB: inst.peakAllocated / 2 ** 20,
    tensorsDelta: tf.memory().numTensors - tensorsBefore,
    warmupMs,
  };
  if (opts.breakdown) r.breakdown = await inst.breakdown(step);
  if (opts.profile) r.profile = await profileStep(step);
  return r;
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
  const rows = [['config', 'mode', 'ms/step', 'img/s', 'dispatches/step', 'peak GPU MB', 'tensor delta', 'data img/s (x train)']];
  for (const r of results) {
    for (const m of ['stock', 'fast'] as Mode[]) {
      const x = r.modes[m];
      if (!x) continue;
      rows.push([
        r.config.id,
        m,
        fmt(x.msPerStep),
        fmt(x.imagesPerSec),
        String(x.dispatchesPerStep),
        fmt(x.peakGpuMB, 0),
        String(x.tensorsDelta),
        m === 'fast' || !r.modes.fast ? `${fmt(r.data.imagesPerSec, 0)} (${fmt(r.data.vsTraining)}x)` : '',
      ]);
    }
    if (r.ratios)
      rows.push([
        r.config.id,
        'stock/fast',
        `${fmt(r.ratios.speedup, 2)}x`,
        '',
        `${fmt(r.ratios.dispatchRatio, 2)}x`,
        `${fmt(r.ratios.memoryRatio, 2)}x`,
        '',
        '',
      ]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(w[j])).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'webgpu', 'index.js');
  const dawn = typeof args.dawn === 'string' ? args.dawn : existsSync(beside) ? pathToFileURL(beside).href : 'webgpu';
  const info: DawnInfo = await startDawn(dawn, args.profile ? ['enable-dawn-features=allow_unsafe_apis'] : []);
  const inst = new Instrument();
  inst.install();
  console.log(`backend ${info.backend}; adapter ${JSON.stringify(info.adapter)}`);

  let checks: CheckResult[] | undefined;
  if (args.check) {
    checks = await runAllChecks();
    for (const r of checks) console.log(`CHECK ${r.ok ? 'ok  ' : 'FAIL'} ${r.kernel} ${r.case} relErr=${r.relErr.toExponential(2)}`);
    console.log(`CHECKS ${checks.filter((r) => r.ok).length} ok, ${checks.filter((r) => !r.ok).length} failed (tolerance 1e-4)`);
  }

  const configs = resolveConfigs(typeof args.configs === 'string' ? args.configs : args.check ? '' : 'tiny', {
    ...(args.size ? { inputSize: Number(args.size) } : {}),
    ...(args.width ? { width: Number(args.width) } : {}),
    ...(args.batch ? { batch: Number(args.batch) } : {}),
  });
  const modes = (typeof args.modes === 'string' ? args.modes : 'stock,fast').split(',') as Mode[];
  const steps = Number(args.steps ?? 5);
  const warmup = Number(args.warmup ?? 2);
  const flags = parseFlags(args.flags);
  const results: ConfigResult[] = [];
  const report = () => ({
    date: new Date().toISOString(),
    adapter: info.adapter,
    tfjs: tf.version.tfjs,
    fastFlags: flags ?? FAST_FLAGS,
    steps,
    warmup,
    checks,
    results,
  });
  // Written after every configuration too, so a run cut short by a time limit keeps what it measured.
  const save = () => {
    if (typeof args.json === 'string') writeFileSync(args.json, JSON.stringify(report(), null, 2));
  };
  save();
  for (const b of configs) {
    const c = runConfigOf(b);
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
    const batches = makeBatches(c, 2);
    const r: ConfigResult = {
      config: b,
      params: Object.fromEntries(built.map((m) => [`${m.name}:${m.arch}`, trainableParamCount(m.model)])),
      modes: {},
      data: { imagesPerSec: dataPipeline(c), vsTraining: NaN, ok: true },
    };
    for (const m of modes) {
      console.log(`${b.id} ${m}: ${b.teacher} + ${b.students.join(' + ')}, ${b.inputSize} px, width ${b.width}, batch ${b.batch} ...`);
      r.modes[m] = await benchMode(m, c, spec, batches, inst, { warmup, steps, breakdown: !!args.breakdown, profile: !!args.profile, flags });
      console.log(
        `  ${fmt(r.modes[m]!.msPerStep)} ms/step, ${r.modes[m]!.dispatchesPerStep} dispatches/step, steps ${JSON.stringify(r.modes[m]!.msPerStepAll)}`,
      );
      if (r.modes[m]!.breakdown) console.log(`  breakdown ${JSON.stringify(r.modes[m]!.breakdown)}`);
      const pr = r.modes[m]!.profile;
      if (pr)
        console.log(
          `  profile: kernels ${fmt(pr.kernelMs)} ms of a ${fmt(pr.wallMs)} ms profiled step; top ${pr.top.map((k) => `${k.name} ${k.ms}ms/${k.calls}`).join(', ')}`,
        );
    }
    const s = r.modes.stock;
    const f = r.modes.fast;
    if (s && f)
      r.ratios = { speedup: s.msPerStep / f.msPerStep, dispatchRatio: s.dispatchesPerStep / f.dispatchesPerStep, memoryRatio: s.peakGpuMB / f.peakGpuMB };
    const best = Math.max(...Object.values(r.modes).map((x) => x!.imagesPerSec));
    r.data.vsTraining = r.data.imagesPerSec / best;
    r.data.ok = r.data.vsTraining >= 5;
    for (const t of trainees) t.optimizer.dispose();
    for (const m of built) m.model.dispose();
    results.push(r);
    save();
  }
  disableFastKernels();
  if (results.length) console.log('\n' + table(results));
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
