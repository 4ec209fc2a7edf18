/**
 * `npm run convert`: one network between torchvision's state dict (`.safetensors`, `.pth`, `.pt`),
 * a TensorFlow.js layers model (`model.json` with its weight files) and ONNX (out only), chosen by
 * the input file's contents, not its name:
 *
 *   npm run convert -- <in> --arch <arch> --classes <C> --out <dir> [--width w] [--size px] [--task classify|box] [--seed n]
 *
 * - a state dict becomes `<dir>/model.json` + `weights.bin` (the studio's own format) and
 *   `<dir>/<name>.onnx`; a head of another class count starts from `--seed` and the output says so;
 * - a `model.json` becomes `<dir>/<name>.safetensors` (torchvision's keys) and `<dir>/<name>.onnx`.
 *
 * Exit codes: 0 done, 2 bad arguments or a bad file (the reason is printed, with the file and key).
 * Owns: the conversion command. Runs in Node on the CPU backend.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ARCHS, isArch, type Task } from '../core/archs';
import { IMAGENET_NORMALIZATION } from '../core/config';
import { isEngineError } from '../core/errors';
import { weightsLabel } from '../core/weights';
import { modelFromFiles, modelToFiles } from '../engine/bundle';
import { registerCustomLayers } from '../engine/customLayers';
import { interopFiles } from '../engine/interop/exportFiles';
import { applyInitialWeights } from '../engine/interop/initialWeights';
import { modelToOnnx } from '../engine/interop/onnx';
import { readStateDict, weightsFormat } from '../engine/interop/readWeights';
import { buildNetwork } from '../engine/networks/zoo';

const USAGE =
  'usage: npm run convert -- <in.safetensors|in.pth|model.json> --arch <arch> --classes <C> --out <dir> [--width w] [--size px] [--task classify|box] [--seed n]';

class UsageError extends Error {}

interface Args {
  input: string;
  arch: string;
  classes: number;
  out: string;
  width: number;
  size: number;
  task: Task;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const opts: Record<string, string> = {};
  let input: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help') throw new UsageError('');
    if (a.startsWith('--')) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      opts[a.slice(2)] = v;
    } else if (input === undefined) input = a;
    else throw new UsageError(`unexpected argument "${a}"`);
  }
  for (const k of Object.keys(opts))
    if (!['arch', 'classes', 'out', 'width', 'size', 'task', 'seed'].includes(k)) throw new UsageError(`unknown option --${k}`);
  if (!input) throw new UsageError('the input file is required');
  for (const k of ['arch', 'classes', 'out']) if (opts[k] === undefined) throw new UsageError(`--${k} is required`);
  if (!isArch(opts.arch)) throw new UsageError(`--arch: unknown architecture "${opts.arch}"; known: ${ARCHS.join(', ')}`);
  const int = (k: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${k} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  const width = opts.width === undefined ? 1 : Number(opts.width);
  if (!(width > 0 && width <= 4)) throw new UsageError(`--width must be a number in (0, 4], got "${opts.width}"`);
  const task = (opts.task ?? 'classify') as Task;
  if (task !== 'classify' && task !== 'box') throw new UsageError(`--task must be classify or box, got "${opts.task}"`);
  return {
    input,
    arch: opts.arch,
    classes: int('classes', opts.classes, 2),
    out: opts.out,
    width,
    size: opts.size === undefined ? 224 : int('size', opts.size, 32),
    task,
    seed: opts.seed === undefined ? 0 : int('seed', opts.seed, 0),
  };
}

async function fromStateDict(a: Args, bytes: Uint8Array, name: string): Promise<string[]> {
  const sd = readStateDict(bytes, basename(a.input));
  const model = buildNetwork({ arch: a.arch, task: a.task, classes: a.classes, inputSize: a.size, width: a.width, seed: a.seed, name });
  try {
    const source = applyInitialWeights(model, a.arch, basename(a.input), () => sd);
    const files = await modelToFiles(model);
    await writeFile(join(a.out, 'model.json'), files['model.json']);
    await writeFile(join(a.out, 'weights.bin'), files['weights.bin']);
    await writeFile(join(a.out, `${name}.onnx`), await modelToOnnx(model, { arch: a.arch }));
    return [`weights ${weightsLabel(source)}`, 'model.json', 'weights.bin', `${name}.onnx`];
  } finally {
    model.dispose();
  }
}

async function fromLayersModel(a: Args, path: string, json: Uint8Array, name: string): Promise<string[]> {
  const parsed = JSON.parse(new TextDecoder().decode(json)) as { weightsManifest?: { paths: string[] }[] };
  const paths = (parsed.weightsManifest ?? []).flatMap((m) => m.paths);
  const parts = await Promise.all(paths.map((p) => readFile(join(dirname(path), p))));
  const weights = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.length;
  }
  registerCustomLayers();
  const model = await modelFromFiles({ 'model.json': json, 'weights.bin': weights });
  try {
    const size = model.inputs[0].shape[1] ?? a.size;
    const files = await interopFiles(model, {
      name,
      arch: a.arch,
      width: a.width,
      task: a.task,
      classes: a.classes,
      inputSize: size,
      normalization: IMAGENET_NORMALIZATION,
      resize: 'stretch',
    });
    const out: string[] = [];
    for (const [f, b] of Object.entries(files)) {
      if (f === 'config.json') continue;
      await writeFile(join(a.out, f), b);
      out.push(f);
    }
    return out;
  } finally {
    model.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (e) {
    console.error(e instanceof UsageError && e.message ? `error: ${e.message}\n${USAGE}` : USAGE);
    return 2;
  }
  await tf.setBackend('cpu');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(a.input));
  } catch (e) {
    console.error(`error: cannot read ${a.input}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const format = weightsFormat(bytes);
  const stem = basename(a.input, extname(a.input));
  const name = format === 'tfjs' && stem === 'model' ? basename(dirname(a.input)) || 'model' : stem;
  try {
    await mkdir(a.out, { recursive: true });
    const written = format === 'tfjs' ? await fromLayersModel(a, a.input, bytes, name) : await fromStateDict(a, bytes, name);
    console.log(`${a.input} (${format === 'tfjs' ? 'TensorFlow.js layers model' : 'torchvision state dict'}) -> ${a.out}: ${written.join(', ')}`);
    return 0;
  } catch (e) {
    if (isEngineError(e)) {
      console.error(`error: ${e.code}: ${e.message}`);
      return 2;
    }
    console.error(`error: ${a.input}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

const isMain = process.argv[1] && /convert\.(ts|js|mjs)$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
