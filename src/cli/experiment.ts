/**
 * The command line runner: the same spec, the same import code and the same engine as the studio,
 * without a browser, so an experiment made on a laptop reruns unchanged on a GPU server.
 *
 *   npm run experiment -- --spec spec.json --data <folder> --out <dir> [--backend cpu|webgpu]
 *
 * Images are read from disk and decoded by the pure-JS decoder behind the same interface the
 * browser uses; `--backend webgpu` runs TensorFlow.js's WebGPU backend through Dawn (the `webgpu`
 * package) on any Vulkan device. Exit codes: 0 all runs done, 2 bad input (spec, folder, data),
 * 3 the experiment finished with failed runs, 130 interrupted.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { listFolder } from '../data/inputFiles-node';
import { nodeDecoder } from '../data/decode-node';
import { importDataset } from '../data/importer';
import { MODE_LABELS } from '../core/config';
import { SpecError } from '../core/errors';
import type { ExperimentEvent } from '../core/events';
import { parseSpec, type ExperimentSpec } from '../core/spec';
import { experimentOutputs } from '../experiment/outputs';
import { runSession, studyFromImport } from '../experiment/session';

const USAGE = 'usage: npm run experiment -- --spec spec.json --data <folder> --out <dir> [--backend cpu|webgpu] [--stock-kernels] [--no-replay] [--quiet]';

class UsageError extends Error {}

function parseArgs(argv: string[]): {
  spec: string;
  data: string;
  out: string;
  backend?: 'cpu' | 'webgpu';
  quiet: boolean;
  stockKernels: boolean;
  replay: boolean;
} {
  const args: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const key = a.slice(2);
    if (key === 'quiet' || key === 'help' || key === 'stock-kernels' || key === 'no-replay') args[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`--${key} needs a value`);
      args[key] = v;
    }
  }
  if (args.help) throw new UsageError('');
  for (const k of Object.keys(args))
    if (!['spec', 'data', 'out', 'backend', 'quiet', 'stock-kernels', 'no-replay'].includes(k)) throw new UsageError(`unknown option --${k}`);
  for (const k of ['spec', 'data', 'out']) if (typeof args[k] !== 'string') throw new UsageError(`--${k} is required`);
  if (args.backend !== undefined && args.backend !== 'cpu' && args.backend !== 'webgpu')
    throw new UsageError(`--backend must be cpu or webgpu, got "${String(args.backend)}"`);
  return {
    spec: args.spec as string,
    data: args.data as string,
    out: args.out as string,
    backend: args.backend as 'cpu' | 'webgpu' | undefined,
    quiet: args.quiet === true,
    stockKernels: args['stock-kernels'] === true,
    replay: args['no-replay'] !== true,
  };
}

async function setBackend(name: 'cpu' | 'webgpu', fastKernels: boolean, replay = true): Promise<string> {
  if (name === 'cpu') {
    await tf.setBackend('cpu');
    return 'cpu';
  }
  const { startDawn } = await import('../engine/kernels/nodeWebGPU');
  const info = await startDawn();
  if (fastKernels) (await import('../engine/kernels/fastKernels')).enableFastKernels();
  // The training step is recorded once and replayed (engine/stepGraph.ts) unless --no-replay.
  (await import('../engine/kernels/state')).setReplayEnabled(replay);
  return `webgpu (${[info.adapter.vendor, info.adapter.architecture, info.adapter.description].filter(Boolean).join(' ') || 'Dawn'}; ${fastKernels ? 'fast' : 'stock'} kernels${fastKernels ? `, replay ${replay ? 'on' : 'off'}` : ''})`;
}

function progress(quiet: boolean, spec: ExperimentSpec) {
  const t0 = Date.now();
  return (e: ExperimentEvent) => {
    const at = `[${((Date.now() - t0) / 1000).toFixed(1)} s]`;
    switch (e.type) {
      case 'experiment-start':
        console.log(
          `${at} ${e.runs.length} runs (${spec.methods.map((m) => MODE_LABELS[m]).join(', ')} x seeds ${spec.seeds.join(', ')}), ${e.teacherTrainings} shared teacher pre-trainings`,
        );
        break;
      case 'teacher-start':
        console.log(`${at} seed ${e.seed}: pre-training the teacher (shared by KD and KD+ML offline)`);
        break;
      case 'run-start':
        console.log(`${at} run ${e.run.index + 1}: ${MODE_LABELS[e.run.method]}, seed ${e.run.seed}`);
        break;
      case 'train':
        if (e.event.type === 'epoch' && !quiet) {
          const ev = e.event.evaluation;
          const parts = [...Object.entries(ev.networks), ...Object.entries(ev.ensembles).map(([k, v]) => [`ensemble(${k})`, v] as const)].map(
            ([n, m]) => `${n} ${('accuracy' in m ? m.accuracy : m.meanIoU).toFixed(3)}`,
          );
          console.log(`${at}   ${ev.phase} epoch ${ev.epoch + 1}: ${parts.join(', ')}`);
        } else if (e.event.type === 'step' && !quiet && e.event.step === 0) {
          const l = Object.entries(e.event.losses)
            .map(([n, v]) => `${n} ${v.total.toFixed(4)}`)
            .join(', ');
          console.log(`${at}   ${e.event.phase} epoch ${e.event.epoch + 1} first step: ${l} (${e.event.imagesPerSec.toFixed(1)} images/s)`);
        }
        break;
      case 'run-end':
        console.log(`${at} run ${e.run.index + 1} ${e.record.status}${e.record.error ? `: ${e.record.error.code} ${e.record.error.message}` : ''}`);
        break;
      default:
        break;
    }
  };
}

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(e instanceof UsageError && e.message ? `error: ${e.message}\n${USAGE}` : USAGE);
    return 2;
  }
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(JSON.parse(await readFile(args.spec, 'utf8')));
  } catch (e) {
    if (e instanceof SpecError) console.error(`error: ${args.spec}: ${e.message}`);
    else console.error(`error: cannot read the spec ${args.spec}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  if (!existsSync(args.data) || !statSync(args.data).isDirectory()) {
    console.error(`error: --data ${args.data} is not a folder`);
    return 2;
  }
  const backendName = args.backend ?? (spec.backend === 'webgpu' ? 'webgpu' : 'cpu');
  let backend: string;
  try {
    backend = await setBackend(backendName, !args.stockKernels, args.replay);
  } catch (e) {
    console.error(`error: the ${backendName} backend is not available: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  console.log(`backend: ${backend}`);
  const files = await listFolder(args.data);
  console.log(`${files.length} files in ${args.data}; importing at ${spec.inputSize} px`);
  const imported = await importDataset(
    files,
    { inputSize: spec.inputSize, resize: spec.data.resize, subset: spec.data.subset, seed: 0, testShare: spec.data.testShare, valShare: spec.data.valShare },
    nodeDecoder,
  );
  const r = imported.report;
  console.log(
    `layout: ${r.layoutDescription}; ${r.counts.images} usable images, ${r.counts.skipped} skipped${r.classes ? `; classes ${r.classes.map((c) => `${c.name} ${c.count}`).join(', ')}` : ''}`,
  );
  for (const f of r.files) if (f.status !== 'ok' && f.status !== 'unused') console.log(`  skipped ${f.path}: ${f.status} ${'message' in f ? f.message : ''}`);
  if (imported.blocking.length) {
    for (const b of imported.blocking) console.error(`error: ${b.code}${b.subject ? ` (${b.subject})` : ''}: ${b.message}`);
    return 2;
  }
  if (imported.task !== spec.task) {
    console.error(`error: the spec's task is ${spec.task} but ${args.data} holds a ${imported.task} dataset`);
    return 2;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('interrupted: finishing with the runs done so far');
    controller.abort();
  });
  // The same session as the studio's worker: checks, per-seed splits, the scheduler.
  const result = await runSession(spec, studyFromImport(args.data, imported), { signal: controller.signal, onEvent: progress(args.quiet, spec) });
  await mkdir(args.out, { recursive: true });
  const outputs = experimentOutputs(result);
  for (const [name, text] of Object.entries(outputs)) await writeFile(join(args.out, name), text);
  console.log(`\n${outputs['table.md']}`);
  console.log(
    `wrote ${Object.keys(outputs)
      .map((n) => join(args.out, n))
      .join(', ')}`,
  );
  if (result.status === 'cancelled') return 130;
  return result.runs.some((x) => x.status !== 'done') ? 3 : 0;
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
