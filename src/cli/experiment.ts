/**
 * The command line runner: the same spec, the same import code and the same engine as the studio,
 * without a browser, so an experiment made on a laptop reruns unchanged on a GPU server or a cluster.
 *
 *   npm run experiment -- --spec spec.json --data <folder> --out <dir> [--backend cpu|webgpu] [--list-skipped]
 *        [--shard i/n] [--resume] [--checkpoints <dir>] [--checkpoint-every <steps>] [--max-runs <n>]
 *   npm run experiment -- merge <part dir> <part dir> … --out <dir>
 *   npm run experiment -- --emit slurm|kubernetes --spec spec.json --data <folder> --out <dir> --parts <n>
 *
 * Images are read from disk and decoded by the pure-JS decoder behind the same interface the
 * browser uses; `--backend webgpu` runs TensorFlow.js's WebGPU backend through Dawn (the `webgpu`
 * package) on any Vulkan device. Every run checkpoints into `--checkpoints` (default
 * `<out>/checkpoints`) in the studio's own format, with the studio's journal; `--resume` continues
 * an interrupted experiment from there. results.json is rewritten (atomically) after every finished
 * run. SIGINT or SIGTERM checkpoints the run in progress, then stops (a second signal stops at once).
 *
 * Exit codes: 0 all runs done, 2 bad input (spec, folder, data, shard, parts), 3 the experiment
 * finished with failed runs, 130 interrupted (a signal or --max-runs; --resume continues).
 *
 * File paths of the dataset are not printed unless asked (`--list-skipped`): they can name
 * patients, and logs travel further than the data. results.json records the dataset by its path
 * relative to the spec (or as given), never expanded.
 *
 * Owns: the command line's options and its use of the session. Imports core, data, engine and
 * experiment; never the worker, the store or the UI.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { listFolder } from '../data/inputFiles-node';
import { nodeDecoder } from '../data/decode-node';
import { importDataset } from '../data/importer';
import { ResultsError, SpecError, toErrorInfo } from '../core/errors';
import type { PlannedRun } from '../core/events';
import type { ExperimentResult, Provenance, RunRecord } from '../core/results';
import type { GroupSource } from '../data/types';
import { parseSpec, type ExperimentSpec } from '../core/spec';
import { aggregate } from '../experiment/aggregate';
import { experimentOutputs } from '../experiment/outputs';
import { readResults } from '../experiment/resultsFile';
import { runSession, SessionStorage, studyFromImport } from '../experiment/session';
import { parseShard, partitionRuns, runKeyOf, runLabel, type PartPlan } from '../experiment/shards';
import { DiskFileStore, writeFileAtomic } from './diskFileStore';
import { kubernetesManifest, sh, slurmFiles, type EmitOptions } from './emit';
import { mergeMain } from './merge';
import { cliReporter } from './progress';
import { datasetHash, specHash } from './provenance';
import { groupLines, groupSourceOf } from './groupSource';

const USAGE = `usage:
  npm run experiment -- --spec spec.json --data <folder> --out <dir> [--backend cpu|webgpu]
       [--shard i/n] [--resume] [--checkpoints <dir>] [--checkpoint-every <steps>] [--max-runs <n>]
       [--require-gpu] [--stock-kernels] [--no-replay] [--quiet] [--list-skipped] [--progress-every <seconds>]
  npm run experiment -- merge <part dir> <part dir> ... --out <dir>
  npm run experiment -- --emit slurm|kubernetes --spec spec.json --data <folder> --out <dir> --parts <n>
       [--backend webgpu|cpu] [--gpus 1] [--cpus 4] [--mem 32G] [--time 2-00:00:00] [--partition P] [--account A]
       [--image node:20-bookworm] [--pvc cohort-studio] [--mount /work]`;

class UsageError extends Error {}

const FLAGS = new Set(['quiet', 'help', 'stock-kernels', 'no-replay', 'resume', 'require-gpu', 'list-skipped']);
const RUN_OPTIONS = new Set(['spec', 'data', 'out', 'backend', 'shard', 'checkpoints', 'checkpoint-every', 'max-runs', 'progress-every', ...FLAGS]);
const EMIT_OPTIONS = new Set([
  'emit',
  'spec',
  'data',
  'out',
  'parts',
  'backend',
  'gpus',
  'cpus',
  'mem',
  'time',
  'partition',
  'account',
  'image',
  'pvc',
  'mount',
  'kubectl-image',
  'help',
]);

/** `--key value`, `--key=value` and flags; anything else is refused. */
export function parseOptions(argv: string[]): Record<string, string | true> {
  const args: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (key in args) throw new UsageError(`--${key} is given twice`);
    if (FLAGS.has(key)) {
      if (eq > 0) throw new UsageError(`--${key} takes no value`);
      args[key] = true;
    } else if (eq > 0) args[key] = a.slice(eq + 1);
    else {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`--${key} needs a value`);
      args[key] = v;
    }
  }
  return args;
}

function intOption(args: Record<string, string | true>, key: string, fallback: number, min: number): number {
  const v = args[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min) throw new UsageError(`--${key} must be an integer >= ${min}, got "${String(v)}"`);
  return n;
}

interface RunArgs {
  spec: string;
  data: string;
  out: string;
  backend?: 'cpu' | 'webgpu';
  shard?: string;
  checkpoints: string;
  /** `--checkpoints` not given: they are under --out, and their folder goes once the experiment is done. */
  checkpointsByDefault: boolean;
  checkpointEvery: number;
  maxRuns: number;
  resume: boolean;
  requireGpu: boolean;
  quiet: boolean;
  stockKernels: boolean;
  progressEvery: number;
  listSkipped: boolean;
  /** Record the training step once and replay it (WebGPU with the fast kernels); off with --no-replay. */
  replay: boolean;
}

function runArgs(args: Record<string, string | true>): RunArgs {
  for (const k of Object.keys(args)) if (!RUN_OPTIONS.has(k)) throw new UsageError(`unknown option --${k}`);
  for (const k of ['spec', 'data', 'out']) if (typeof args[k] !== 'string') throw new UsageError(`--${k} is required`);
  if (args.backend !== undefined && args.backend !== 'cpu' && args.backend !== 'webgpu')
    throw new UsageError(`--backend must be cpu or webgpu, got "${String(args.backend)}"`);
  const out = args.out as string;
  return {
    spec: args.spec as string,
    data: args.data as string,
    out,
    backend: args.backend as 'cpu' | 'webgpu' | undefined,
    shard: args.shard as string | undefined,
    checkpoints: typeof args.checkpoints === 'string' ? args.checkpoints : join(out, 'checkpoints'),
    checkpointsByDefault: typeof args.checkpoints !== 'string',
    checkpointEvery: intOption(args, 'checkpoint-every', 0, 0),
    maxRuns: intOption(args, 'max-runs', 0, 1),
    resume: args.resume === true,
    requireGpu: args['require-gpu'] === true,
    quiet: args.quiet === true,
    stockKernels: args['stock-kernels'] === true,
    progressEvery: intOption(args, 'progress-every', 30, 1),
    listSkipped: args['list-skipped'] === true,
    replay: args['no-replay'] !== true,
  };
}

/** Errors of the session's checks before training: the spec or the dataset does not fit. */
const INPUT_CODES = new Set<string>([
  'INVALID_SPEC',
  'INVALID_CONFIG',
  'EMPTY_DATASET',
  'TOO_FEW_STUDENTS',
  'UNKNOWN_ARCH',
  'LABEL_MISMATCH',
  // A weights file the spec names (read and matched before any training).
  'WEIGHTS_NOT_STATE_DICT',
  'WEIGHTS_PICKLE_REFUSED',
  'WEIGHTS_CORRUPT',
  'WEIGHTS_DTYPE',
  'WEIGHTS_MISSING_KEY',
  'WEIGHTS_UNEXPECTED_KEY',
  'WEIGHTS_SHAPE_MISMATCH',
]);

/** Software Vulkan drivers: WebGPU runs on them, a hundred times slower than on a GPU. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software/i;

async function setBackend(name: 'cpu' | 'webgpu', fastKernels: boolean, requireGpu: boolean, replay = true): Promise<string> {
  if (name === 'cpu') {
    await tf.setBackend('cpu');
    return 'cpu';
  }
  const { startDawn } = await import('../engine/kernels/nodeWebGPU');
  const info = await startDawn();
  const adapter = [info.adapter.vendor, info.adapter.architecture, info.adapter.description].filter(Boolean).join(' ') || 'Dawn';
  if (requireGpu && SOFTWARE_ADAPTER.test(adapter))
    throw new Error(
      `the only WebGPU adapter is a software renderer (${adapter}): no GPU is visible to this process (check the job's GPU request and the Vulkan driver)`,
    );
  if (fastKernels) (await import('../engine/kernels/fastKernels')).enableFastKernels();
  // The training step is recorded once and replayed (engine/stepGraph.ts) unless --no-replay.
  (await import('../engine/kernels/state')).setReplayEnabled(replay);
  return `webgpu (${adapter}; ${fastKernels ? 'fast' : 'stock'} kernels${fastKernels ? `, replay ${replay ? 'on' : 'off'}` : ''})`;
}

/** What the command line keeps beside the journal: the content hashes and the part it runs. */
interface CommandRecord {
  specHash: string;
  datasetHash: string;
  part: { index: number; count: number } | null;
}
const COMMAND_PATH = 'command.json';

const partText = (p: { index: number; count: number } | null | undefined) => (p ? `part ${p.index}/${p.count}` : 'the whole experiment');

async function readExisting(path: string): Promise<ExperimentResult | null> {
  try {
    return readResults(await readFile(path, 'utf8'), path);
  } catch {
    return null;
  }
}

/** The dataset as results.json records it: relative to the spec's folder when given absolute, else as given (never expanded). */
export function datasetPath(data: string, specPath: string): string {
  return isAbsolute(data) ? relative(dirname(resolve(specPath)), data) || '.' : data;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return mergeMain(argv.slice(1));
  let options: Record<string, string | true>;
  try {
    options = parseOptions(argv);
    if (options.help) throw new UsageError('');
    if (options.emit !== undefined) return await emitMain(options, argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ResultsError || e instanceof SpecError) return usageFailure(e);
    throw e;
  }
  let args: RunArgs;
  try {
    args = runArgs(options);
  } catch (e) {
    return usageFailure(e);
  }
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(JSON.parse(await readFile(args.spec, 'utf8')));
  } catch (e) {
    if (e instanceof SpecError) console.error(`error: ${args.spec}: ${e.message}`);
    else console.error(`error: cannot read the spec ${args.spec}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  let shard: PartPlan | null = null;
  try {
    if (args.shard !== undefined) shard = parseShard(args.shard, spec);
  } catch (e) {
    console.error(`error: ${toErrorInfo(e).code}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const part = shard;
  if (!existsSync(args.data) || !statSync(args.data).isDirectory()) {
    console.error(`error: --data ${args.data} is not a folder`);
    return 2;
  }
  const hashOfSpec = specHash(spec);
  const partOf = part ? { index: part.index, count: part.count } : null;

  // The checkpoints and journal of an earlier, interrupted start of this experiment.
  const storage = new SessionStorage(new DiskFileStore(args.checkpoints));
  const journal = await storage.journal.read();
  const command = await storage.files.read(COMMAND_PATH).then((b) => (b ? (JSON.parse(new TextDecoder().decode(b)) as CommandRecord) : null));
  if (journal && !args.resume) {
    console.error(
      `error: ${args.checkpoints} holds an interrupted experiment ("${journal.spec.name}", ${journal.completed.length} of ${journal.planned} runs done, ${partText(command?.part)}): continue it with --resume, or delete that folder to start again`,
    );
    return 2;
  }
  if (journal) {
    const problems: string[] = [];
    if (specHash(parseSpec(journal.spec)) !== hashOfSpec) problems.push(`its spec ("${journal.spec.name}") is not ${args.spec}`);
    if (command && JSON.stringify(command.part) !== JSON.stringify(partOf)) problems.push(`it is ${partText(command.part)}, not ${partText(partOf)}`);
    if (problems.length) {
      console.error(`error: cannot resume the experiment in ${args.checkpoints}: ${problems.join('; ')}`);
      return 2;
    }
  }

  const backendName = args.backend ?? (spec.backend === 'webgpu' ? 'webgpu' : 'cpu');
  let backend: string;
  try {
    backend = await setBackend(backendName, !args.stockKernels, args.requireGpu, args.replay);
  } catch (e) {
    console.error(`error: the ${backendName} backend is not available: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  console.log(`backend: ${backend}`);
  let groups: GroupSource;
  try {
    groups = await groupSourceOf(spec, args.spec);
  } catch (e) {
    console.error(`error: ${args.spec}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const files = await listFolder(args.data);
  console.log(`${files.length} files in ${args.data}; importing at ${spec.inputSize} px`);
  const imported = await importDataset(
    files,
    {
      inputSize: spec.inputSize,
      resize: spec.data.resize,
      subset: spec.data.subset,
      seed: 0,
      testShare: spec.data.testShare,
      valShare: spec.data.valShare,
      groups,
      splitBy: spec.data.splitBy,
    },
    nodeDecoder,
  );
  const r = imported.report;
  console.log(
    `layout: ${r.layoutDescription}; ${r.counts.images} usable images, ${r.counts.skipped} skipped${r.classes ? `; classes ${r.classes.map((c) => `${c.name} ${c.count}`).join(', ')}` : ''}`,
  );
  const skippedCodes = Object.entries(r.byCode).filter(([code]) => r.files.some((f) => f.status === code));
  if (skippedCodes.length)
    console.log(
      `  skipped by code: ${skippedCodes.map(([code, n]) => `${code} ${n}`).join(', ')}${args.listSkipped ? '' : ' (--list-skipped prints their paths)'}`,
    );
  if (args.listSkipped)
    for (const f of r.files) if (f.status !== 'ok' && f.status !== 'unused') console.log(`  skipped ${f.path}: ${f.status} ${'message' in f ? f.message : ''}`);
  for (const line of groupLines(r)) console.log(line);
  if (imported.blocking.length) {
    for (const b of imported.blocking) console.error(`error: ${b.code}${b.subject ? ` (${b.subject})` : ''}: ${b.message}`);
    return 2;
  }
  if (imported.task !== spec.task) {
    console.error(`error: the spec's task is ${spec.task} but ${args.data} holds a ${imported.task} dataset`);
    return 2;
  }
  // Recorded relative to the spec (or as given), never expanded; parts and resumes are matched by content hash.
  const study = studyFromImport(datasetPath(args.data, args.spec), imported);
  const hashOfData = datasetHash(study);
  const provenance: Provenance = {
    specHash: hashOfSpec,
    datasetHash: hashOfData,
    ...(part ? { part: { index: part.index, count: part.count, runs: part.runs.map(runKeyOf) } } : {}),
  };
  console.log(
    `spec ${hashOfSpec.slice(0, 12)}, dataset ${hashOfData.slice(0, 12)}${part ? `; part ${part.index}/${part.count}: ${part.runs.map(runLabel).join(', ')}` : ''}`,
  );

  const resultsPath = join(args.out, 'results.json');
  if (journal && command && command.datasetHash !== hashOfData) {
    console.error(
      `error: cannot resume the experiment in ${args.checkpoints}: it was trained on another dataset (${command.datasetHash.slice(0, 12)}), not ${args.data} (${hashOfData.slice(0, 12)})`,
    );
    return 2;
  }
  if (args.resume && !journal) {
    // A task run again after it finished (a requeue): nothing to do.
    const existing = await readExisting(resultsPath);
    const pv = existing?.provenance;
    if (
      existing?.status === 'done' &&
      pv?.specHash === hashOfSpec &&
      pv.datasetHash === hashOfData &&
      JSON.stringify(pv.part?.runs) === JSON.stringify(provenance.part?.runs)
    ) {
      console.log(`${resultsPath} already holds this experiment, finished: nothing to resume`);
      return existing.runs.some((x) => x.status !== 'done') ? 3 : 0;
    }
    console.log(`nothing to resume in ${args.checkpoints}: starting the experiment`);
  }

  await mkdir(args.out, { recursive: true });
  const command2: CommandRecord = { specHash: hashOfSpec, datasetHash: hashOfData, part: partOf };
  await storage.files.write(COMMAND_PATH, new TextEncoder().encode(JSON.stringify(command2)));

  // Stop cleanly: the first signal asks the run in progress for a checkpoint and stops once it is
  // written; a second one (not the echo of the first that npm forwards) stops at once.
  const controller = new AbortController();
  const flush = { requested: false };
  let stopping = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    const t = Date.now();
    if (stopping && t - stopping > 1000) {
      console.log(`${sig}: stopping now`);
      controller.abort();
    } else if (!stopping) {
      stopping = t;
      console.log(`${sig}: stopping after a checkpoint of the run in progress (again to stop now); --resume continues`);
      flush.requested = true;
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const reporter = cliReporter(spec, {
    quiet: args.quiet,
    tty: process.stdout.isTTY === true,
    everySeconds: args.progressEvery,
    write: process.stdout.isTTY ? (t) => void process.stdout.write(t) : (t) => t.trim() && console.log(t.replace(/\n$/, '')),
  });
  const startedAt = new Date().toISOString();
  const records: RunRecord[] = [];
  const teachers: ExperimentResult['teacherTrainings'] = [];
  const trainedHere = new Set<string>();
  let finishedHere = 0;
  let writes: Promise<void> = Promise.resolve();
  const writeResults = (result: ExperimentResult) => {
    const text = experimentOutputs({ ...result, provenance })['results.json'];
    writes = writes.then(() => writeFileAtomic(resultsPath, text));
    return writes;
  };
  const inProgress = (): ExperimentResult => ({
    format: 'cohort-studio-results',
    version: 1,
    spec,
    dataset: study.info,
    backend: tf.getBackend(),
    startedAt,
    finishedAt: new Date().toISOString(),
    status: 'running',
    runs: records.slice(),
    teacherTrainings: teachers.slice(),
    table: aggregate(records, spec.methods, spec.seeds),
  });

  // Weights files (teacher.weights, students[k].weights) are named relative to the spec.
  const specDir = dirname(resolve(args.spec));
  const readWeights = async (file: string) => {
    try {
      return new Uint8Array(await readFile(isAbsolute(file) ? file : join(specDir, file)));
    } catch {
      return null;
    }
  };
  let result: ExperimentResult;
  try {
    await writeResults(inProgress());
    result = await runSession(spec, study, {
      storage,
      readWeights,
      resume: journal !== null,
      select: part ? (run: PlannedRun) => part.runs.some((x) => x.method === run.method && x.seed === run.seed) : undefined,
      checkpointEverySteps: args.checkpointEvery,
      signal: controller.signal,
      flush,
      // A turn of the event loop before every step: on the CPU backend a run is otherwise one
      // chain of promises, and a signal would be seen only once the run is over.
      gate: () => new Promise<void>((r) => setImmediate(r)),
      onEvent: (e) => {
        reporter.onEvent(e);
        if (e.type === 'train' && e.run) trainedHere.add(runKeyOf(e.run));
        // The checkpoint a signal asked for is written: stop.
        if (stopping && e.type === 'train' && e.event.type === 'checkpoint') controller.abort();
        if (e.type === 'teacher-end') teachers.push({ seed: e.seed, ms: e.ms, status: 'done' });
        if (e.type === 'run-end') {
          records.push(e.record);
          void writeResults(inProgress()).catch((err) =>
            console.error(`warning: cannot write ${resultsPath}: ${err instanceof Error ? err.message : String(err)}`),
          );
          if (e.record.status === 'done' && trainedHere.has(runKeyOf(e.run))) finishedHere++;
          if (args.maxRuns && finishedHere >= args.maxRuns && !controller.signal.aborted) {
            console.log(`--max-runs ${args.maxRuns}: stopping here; --resume continues`);
            controller.abort();
          }
        }
      },
    });
  } catch (e) {
    reporter.close();
    const info = toErrorInfo(e);
    // The session's checks before any training: bad input. Anything else is a crash (exit 1), and
    // results.json keeps saying 'running', so a merge refuses the part.
    if (!INPUT_CODES.has(info.code)) throw e;
    console.error(`error: ${info.code}${info.subject ? ` (${info.subject})` : ''}: ${info.message}`);
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  reporter.close();
  await writes.catch(() => {});
  // The scheduler's record of the shared teachers is complete (failed ones included).
  const outputs = experimentOutputs({ ...result, provenance });
  await writeFileAtomic(resultsPath, outputs['results.json']);
  if (result.status === 'done') {
    await writeFileAtomic(join(args.out, 'table.csv'), outputs['table.csv']);
    await writeFileAtomic(join(args.out, 'table.md'), outputs['table.md']);
    await storage.files.remove(COMMAND_PATH);
    if (args.checkpointsByDefault) await removeIfEmpty(args.checkpoints);
    console.log(`\n${outputs['table.md']}`);
    console.log(`wrote ${['results.json', 'table.csv', 'table.md'].map((n) => join(args.out, n)).join(', ')}`);
  } else {
    const done = result.runs.filter((x) => x.status === 'done').length;
    console.log(
      `wrote ${resultsPath} (${result.status}: ${done} of ${part ? part.runs.length : spec.methods.length * spec.seeds.length} runs done); --resume continues from ${args.checkpoints}`,
    );
  }
  if (result.status === 'cancelled') return 130;
  return result.runs.some((x) => x.status !== 'done') || result.status !== 'done' ? 3 : 0;
}

function usageFailure(e: unknown): number {
  if (e instanceof UsageError) console.error(e.message ? `error: ${e.message}\n${USAGE}` : USAGE);
  else console.error(`error: ${toErrorInfo(e).code}: ${e instanceof Error ? e.message : String(e)}`);
  return 2;
}

/** Remove a folder that holds no file (only empty folders), as a finished experiment leaves its checkpoints. */
async function removeIfEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => null);
  if (entries && entries.every((e) => e.isDirectory())) await rm(dir, { recursive: true, force: true });
}

/** The project's root: two folders up from this file. */
const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function emitMain(args: Record<string, string | true>, argv: string[]): Promise<number> {
  for (const k of Object.keys(args)) if (!EMIT_OPTIONS.has(k)) throw new UsageError(`unknown option --${k} (with --emit)`);
  const target = args.emit;
  if (target !== 'slurm' && target !== 'kubernetes') throw new UsageError(`--emit must be slurm or kubernetes, got "${String(target)}"`);
  for (const k of ['spec', 'data', 'out', 'parts']) if (typeof args[k] !== 'string') throw new UsageError(`--${k} is required with --emit`);
  const backend = (args.backend ?? 'webgpu') as string;
  if (backend !== 'cpu' && backend !== 'webgpu') throw new UsageError(`--backend must be cpu or webgpu, got "${backend}"`);
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(JSON.parse(await readFile(args.spec as string, 'utf8')));
  } catch (e) {
    console.error(`error: ${args.spec}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const parts = intOption(args, 'parts', 1, 1);
  const plans = partitionRuns(spec, parts);
  const o: EmitOptions = {
    spec,
    project: PROJECT,
    specPath: resolve(args.spec as string),
    data: resolve(args.data as string),
    out: resolve(args.out as string),
    parts,
    backend,
    gpus: intOption(args, 'gpus', backend === 'webgpu' ? 1 : 0, 0),
    cpus: intOption(args, 'cpus', 4, 1),
    mem: args.mem as string | undefined,
    time: args.time as string | undefined,
    partition: args.partition as string | undefined,
    account: args.account as string | undefined,
    image: (args.image as string | undefined) ?? 'node:20-bookworm',
    pvc: (args.pvc as string | undefined) ?? 'cohort-studio',
    mount: (args.mount as string | undefined) ?? '/work',
    kubectlImage: (args['kubectl-image'] as string | undefined) ?? 'registry.k8s.io/kubectl:v1.32.8',
    command: `npm run experiment -- ${argv.map(sh).join(' ')}`,
  };
  if (o.gpus > 0 && backend === 'cpu') throw new UsageError('--gpus with --backend cpu: the CPU backend uses no GPU (--gpus 0)');
  if (!existsSync(o.data)) console.warn(`warning: ${o.data} does not exist here; it must exist on the cluster's nodes`);
  await mkdir(join(o.out, 'logs'), { recursive: true });
  const written: string[] = [];
  if (target === 'slurm') {
    for (const [name, text] of Object.entries(slurmFiles(o))) {
      await writeFileAtomic(join(o.out, name), text);
      written.push(join(o.out, name));
    }
  } else {
    if (![o.project, o.specPath, o.data, o.out].every((p) => p === o.mount || p.startsWith(`${o.mount}/`)))
      console.warn(`warning: the project, spec, data and output paths should all lie under the volume's mount point ${o.mount} (see --mount)`);
    await writeFileAtomic(join(o.out, 'experiment.k8s.yaml'), kubernetesManifest(o));
    written.push(join(o.out, 'experiment.k8s.yaml'));
  }
  for (const p of plans) console.log(`part ${p.index}/${p.count}: ${p.runs.map(runLabel).join(', ')}`);
  console.log(`wrote ${written.join(', ')}`);
  console.log(target === 'slurm' ? `submit with: sh ${join(o.out, 'submit.sh')}` : `apply with: kubectl apply -f ${join(o.out, 'experiment.k8s.yaml')}`);
  return 0;
}

const isMain = process.argv[1] && /experiment\.(ts|js|mjs)$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
