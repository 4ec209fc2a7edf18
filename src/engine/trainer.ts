/**
 * The cohort trainer: one teacher and K students trained together on the same batches, in the
 * modes of docs/METHOD.md (KD, ML, KD+ML online, KD+ML offline, independent).
 *
 * One step: every trained network runs forward in training mode on the same (augmented) batch,
 * each network's loss uses the others' current outputs as stop-gradient targets, and a single
 * backward pass over the sum of the losses yields every network's gradients (the stop-gradients
 * make the sum's gradient for network k exactly the gradient of L_k). A frozen teacher runs in
 * inference mode outside the tape. Each network then takes its own SGD-momentum step with L2 weight
 * decay. The step's loss terms come back in a single read, which is also where NaN/Inf is caught:
 * the weights stay at the last good step. Eagerly (the CPU backend, stock kernels, replay off) the
 * read comes before the update; on WebGPU with the fast kernels the step goes through the step
 * graph (./stepGraph.ts: recorded once, replayed), the GPU itself skips the update of a non-finite
 * step, and its losses are read while the next step runs. Either way the next batch is assembled
 * while the current step runs.
 *
 * No DOM, no React: this runs in the Web Worker, in Node tests and in the benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { assembleBatch, drawAugment, type Batch } from './batch';
import { pixelProblem, type Samples, type TrainData } from '../core/samples';
import { stepsPerEpochFor, usesFrozenTeacher, usesPeers, usesTeacher, validateRunConfig, type RunConfig } from '../core/config';
import { ensembleBoxRows, ensembleRows } from './ensemble';
import { EngineError } from '../core/errors';
import { boxLossTerms, studentLossTerms, type LossTerms } from './losses';
import { boxMetrics, classificationMetrics } from '../core/metrics';
import type { Evaluation, LossRecord, Metrics, NetworkInfo, Phase, Predictions, Role } from '../core/records';
import type { TrainEvent } from '../core/events';
import type { RunTimings } from '../core/results';
import { buildNetwork, trainableParamCount } from './networks';
import { SgdMomentum } from './optimizer';
import { deriveSeed, Rng } from '../core/rng';
import { forgetDisposedGraphs } from './graphCache';
import { captureCheckpoint, restoreCheckpoint, type Checkpoint, type CheckpointStore } from './checkpoint';
import { applyInitialWeights, weightsSourceOf, type WeightsLookup } from './interop/initialWeights';
import { StepRunner } from './stepGraph';
import { fastKernelsActive, replayEnabled } from './kernels/state';
import { webgpuBackend } from './kernels/runtime';
import { createLossReport, fusedLossEnabled, fusedLossSupported, fusedLossTotal, type FusedLossArgs } from './kernels/CohortLoss';

export interface RunResult {
  config: RunConfig;
  networks: NetworkInfo[];
  history: Evaluation[];
  final: Evaluation;
  predictions: Predictions;
  /** The trained networks by name; the caller owns and disposes them. */
  models: Record<string, tf.LayersModel>;
  backend: string;
  timings: RunTimings;
}

export interface TrainOptions {
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
  /**
   * A teacher already pre-trained for this seed (KD and KD+ML offline share one per seed). It is
   * used frozen and not disposed by the trainer.
   */
  pretrainedTeacher?: tf.LayersModel;
  /** Awaited before every step: resolves at once normally, later while the user has paused. */
  gate?: () => Promise<void>;
  /** The state dicts of the weights files the config's networks name (`NetworkChoice.weights`). */
  weights?: WeightsLookup;
  /**
   * Checkpoints of this run: saved at the end of every epoch (and every `everySteps` steps) under
   * `key`; `resume` continues from one. Teacher pre-training saves under `${key}` too (the scheduler
   * gives it its own key).
   */
  checkpoint?: {
    key: string;
    store: CheckpointStore;
    everySteps?: number;
    resume?: Checkpoint | null;
    /** Set `requested` to have a checkpoint written after the next step (e.g. when the tab is hidden). */
    flush?: { requested: boolean };
  };
}

const TEACHER = 'teacher';
const studentName = (k: number) => `student${k + 1}`;

/** Checks that the data fits the config; throws typed errors before any GPU work. */
export function validateData(c: RunConfig, data: TrainData): void {
  for (const [part, s] of [['train', data.train], ['test', data.test], ...(data.val?.count ? [['validation', data.val] as const] : [])] as const) {
    if (!s || s.count === 0) throw new EngineError('EMPTY_DATASET', `The ${part} set has no images`, part);
    if (s.size !== c.inputSize) {
      throw new EngineError('SHAPE_MISMATCH', `The ${part} images are ${s.size} px but the networks take ${c.inputSize} px`, part);
    }
    const pixels = pixelProblem(s);
    if (pixels) throw new EngineError('SHAPE_MISMATCH', `The ${part} set ${pixels}`, part);
    if (c.task === 'classify') {
      if (!s.labels || s.labels.length !== s.count) {
        throw new EngineError('LABEL_MISMATCH', `The ${part} set has ${s.labels?.length ?? 0} labels for ${s.count} images`, part);
      }
      for (let i = 0; i < s.labels.length; i++) {
        const l = s.labels[i];
        if (!Number.isInteger(l) || l < 0 || l >= c.classes) {
          const id = s.ids?.[i] ?? `#${i}`;
          throw new EngineError('LABEL_MISMATCH', `Label ${l} of ${part} image ${id} is outside the ${c.classes} classes`, id);
        }
      }
    } else if (!s.boxes || s.boxes.length !== s.count * 4) {
      throw new EngineError('LABEL_MISMATCH', `The ${part} set has ${(s.boxes?.length ?? 0) / 4} boxes for ${s.count} images`, part);
    }
  }
}

/**
 * Networks of a run, built from seeded weights (the same seed gives the same initial weights), then
 * loaded from the weights file a network names, if any (`weights` looks the file up).
 */
export function buildCohort(
  c: RunConfig,
  withTeacher: boolean,
  weights?: WeightsLookup,
): { name: string; role: Role; model: tf.LayersModel; arch: string; width: number }[] {
  const out: { name: string; role: Role; model: tf.LayersModel; arch: string; width: number }[] = [];
  const make = (name: string, role: Role, arch: string, width: number, file?: string) => {
    const model = buildNetwork({ arch, task: c.task, classes: c.classes, inputSize: c.inputSize, width, seed: deriveSeed(c.seed, name), name });
    try {
      applyInitialWeights(model, arch, file, weights);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { name, role, arch, width, model };
  };
  try {
    if (withTeacher && c.teacher) out.push(make(TEACHER, 'teacher', c.teacher.arch, c.teacher.width ?? 1, c.teacher.weights));
    c.students.forEach((s, k) => out.push(make(studentName(k), 'student', s.arch, s.width ?? 1, s.weights)));
  } catch (e) {
    for (const b of out) b.model.dispose();
    throw e;
  }
  return out;
}

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('CANCELLED', 'The run was cancelled');
}

export interface Trainee {
  name: string;
  model: tf.LayersModel;
  optimizer: SgdMomentum;
  vars: tf.Variable[];
}

export function makeTrainee(name: string, model: tf.LayersModel, c: RunConfig): Trainee {
  const vars = model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  return { name, model, optimizer: new SgdMomentum(vars, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay }), vars };
}

/** Free an optimiser and its momentum buffers. */
function disposeOptimizer(o: SgdMomentum): void {
  o.dispose();
}

/**
 * One optimiser step for a trainee: SGD with momentum and L2 weight decay, PyTorch's semantics
 * (./optimizer.ts; one dispatch per variable on WebGPU with the fast kernels on). The weight decay
 * is the optimiser's own, set from the run config in `makeTrainee`.
 */
function applyUpdate(t: Trainee, grads: tf.NamedTensorMap, weightDecay: number): void {
  t.optimizer.weightDecay = weightDecay;
  t.optimizer.step(grads);
}

/** The weights and targets of one network's loss (eq. 4; the teacher and `independent` use CE alone). */
function lossSetup(c: RunConfig, teacher: tf.Tensor2D | null, peers: tf.Tensor2D[], role: Role) {
  const independent = c.mode === 'independent';
  const w =
    role === 'teacher' || independent
      ? { alpha: 1, beta: 0, gamma: 0 }
      : { alpha: c.alpha, beta: usesTeacher(c.mode) ? c.beta : 0, gamma: usesPeers(c.mode) ? c.gamma : 0 };
  const t = role === 'teacher' || independent ? null : teacher;
  const p = role === 'teacher' || independent || !usesPeers(c.mode) ? [] : peers;
  return { ...w, teacher: t, peers: p };
}

function lossTermsFor(c: RunConfig, target: tf.Tensor2D, own: tf.Tensor2D, teacher: tf.Tensor2D | null, peers: tf.Tensor2D[], role: Role): LossTerms {
  const a = lossSetup(c, teacher, peers, role);
  if (c.task === 'classify') {
    return studentLossTerms({ labels: target, student: own, ...a, temperature: c.temperature, tSquared: c.tSquared });
  }
  return boxLossTerms({ target, student: own, ...a });
}

/**
 * The fused loss kernel's arguments for one network (./kernels/CohortLoss.ts): the same terms as
 * `studentLossTerms`, which drops the KD term without a teacher or when beta is 0, and the ML
 * term without peers or when gamma is 0.
 */
function fusedLossArgsFor(c: RunConfig, target: tf.Tensor2D, own: tf.Tensor2D, teacher: tf.Tensor2D | null, peers: tf.Tensor2D[], role: Role): FusedLossArgs {
  const a = lossSetup(c, teacher, peers, role);
  const scale = c.tSquared ? c.temperature * c.temperature : 1;
  const kd = a.teacher && a.beta !== 0 ? a.teacher : null;
  const ml = a.peers.length > 0 && a.gamma !== 0 ? a.peers : [];
  return {
    labels: target,
    student: own,
    teacher: kd,
    peers: ml,
    alpha: a.alpha,
    kdWeight: kd ? a.beta * scale : 0,
    mlWeight: ml.length ? a.gamma * scale : 0,
    temperature: c.temperature,
  };
}

export interface PhaseSpec {
  phase: Phase;
  epochs: number;
  trainees: Trainee[];
  /** Names of the trainees that are students (their peers are the other students). */
  students: string[];
  teacherName: string | null;
  frozenTeacher: tf.LayersModel | null;
}

async function runPhase(
  c: RunConfig,
  data: TrainData,
  spec: PhaseSpec,
  rng: Rng,
  opts: TrainOptions,
  evaluateEpoch: (epoch: number) => Promise<Evaluation>,
  stepTimes: number[],
): Promise<Evaluation[]> {
  const steps = stepsPerEpochFor(c, data.train.count);
  const all = Array.from({ length: data.train.count }, (_, i) => i);
  const ck = opts.checkpoint;
  const resume = ck?.resume && ck.resume.meta.phase === spec.phase ? ck.resume : null;
  let history: Evaluation[] = [];
  let globalStep = 0;
  let startEpoch = 0;
  let startStep = 0;
  let resumedOrder: number[] | null = null;
  if (resume) {
    restoreCheckpoint(
      resume,
      spec.trainees.map((t) => ({ name: t.name, model: t.model, optimizer: t.optimizer })),
    );
    rng = new Rng(Uint32Array.from(resume.meta.rng));
    history = resume.meta.history.slice();
    globalStep = resume.meta.globalStep;
    startEpoch = resume.meta.epoch;
    startStep = resume.meta.step;
    resumedOrder = resume.meta.order.length ? resume.meta.order : null;
    opts.onEvent?.({ type: 'resumed', key: ck!.key, phase: spec.phase, epoch: startEpoch, step: startStep, globalStep });
  }
  const save = async (epoch: number, step: number, order: number[], rngState: Uint32Array) => {
    if (!ck) return;
    const cp = await captureCheckpoint(
      ck.key,
      { phase: spec.phase, epoch, step, globalStep, rng: Array.from(rngState), order, history },
      spec.trainees.map((t) => ({ name: t.name, model: t.model, optimizer: t.optimizer })),
    );
    const generation = await ck.store.save(cp);
    opts.onEvent?.({ type: 'checkpoint', key: ck.key, phase: spec.phase, epoch, step, globalStep, generation });
  };
  const batchFor = (order: number[], step: number) => {
    const idx = order.slice(step * c.batchSize, (step + 1) * c.batchSize);
    const augments = idx.map(() => drawAugment(rng, c.augment));
    return assembleBatch(data.train, idx, c.normalization, c.classes, augments);
  };
  // A step in flight: submitted, its losses not yet read (the step graph reads them one step late).
  interface InFlight {
    losses: Promise<Record<string, LossRecord>>;
    epoch: number;
    step: number;
    n: number;
    t0: number;
  }
  const stepper = cohortStepper(c, spec);
  let inFlight: InFlight | null = null;
  let lastDone = 0;
  let submitted = globalStep;
  const finish = async (f: InFlight) => {
    const losses = await f.losses;
    assertFinite(losses, f.epoch, f.step);
    globalStep++;
    const now = performance.now();
    // With steps overlapping, a step's time is the interval between two finished steps.
    const ms = now - Math.max(f.t0, lastDone);
    lastDone = now;
    stepTimes.push(ms);
    opts.onEvent?.({
      type: 'step',
      phase: spec.phase,
      epoch: f.epoch,
      step: f.step,
      globalStep,
      stepsPerEpoch: steps,
      losses,
      imagesPerSec: (f.n * 1000) / ms,
      ms,
    });
  };
  const settle = async () => {
    const f = inFlight;
    inFlight = null;
    if (f) await finish(f);
  };
  // Awaited before every step. While the gate is closed (paused), the step in flight is reported.
  const passGate = async () => {
    const gate = opts.gate!();
    const f = inFlight;
    if (f) {
      const stepFirst = await Promise.race([
        gate.then(() => false),
        f.losses.then(
          () => true,
          () => true,
        ),
      ]);
      if (stepFirst && inFlight === f) await settle();
    }
    await gate;
  };
  try {
    for (let epoch = startEpoch; epoch < spec.epochs; epoch++) {
      const order = epoch === startEpoch && resumedOrder ? resumedOrder : rng.shuffled(all);
      let next: Batch | null = null;
      for (let step = epoch === startEpoch ? startStep : 0; step < steps; step++) {
        if (opts.gate) await passGate();
        checkAborted(opts.signal);
        const t0 = performance.now();
        const batch = next ?? batchFor(order, step);
        const losses = stepper.run(batch, epoch, step);
        // Awaited by `finish`; a step still in flight when an earlier one fails is never awaited.
        losses.catch(() => {});
        const current: InFlight = { losses, epoch, step, n: batch.n, t0 };
        const stepNumber = ++submitted;
        // The generator's state after this step's draws: what a checkpoint after it must hold.
        const rngAfter = rng.state();
        // The next batch is assembled while the GPU runs this step.
        next = step + 1 < steps ? batchFor(order, step + 1) : null;
        if (stepper.deferred) {
          const previous = inFlight;
          inFlight = current;
          if (previous) await finish(previous);
        } else await finish(current);
        const due = (ck?.everySteps && stepNumber % ck.everySteps === 0) || ck?.flush?.requested;
        if (due && step + 1 < steps) {
          await settle();
          checkAborted(opts.signal);
          stepper.release();
          if (ck?.flush) ck.flush.requested = false;
          await save(epoch, step + 1, order, rngAfter);
        }
      }
      await settle();
      stepper.release();
      checkAborted(opts.signal);
      const evaluation = await evaluateEpoch(epoch);
      history.push(evaluation);
      opts.onEvent?.({ type: 'epoch', evaluation });
      await save(epoch + 1, 0, [], rng.state());
    }
  } finally {
    await stepper.dispose();
  }
  return history;
}

/**
 * Forward, loss terms and backward of one cohort step, without the update: the loss report
 * ([ce, kd, ml, total] per trainee, kept: the caller disposes it) and every trained variable's
 * gradient. `inputs` sees the batch tensors as soon as they exist (the step graph marks them).
 */
export function forwardBackward(
  c: RunConfig,
  spec: PhaseSpec,
  batch: Batch,
  inputs?: (x: tf.Tensor, target: tf.Tensor) => void,
): { report: tf.Tensor; grads: tf.NamedTensorMap } {
  let report: tf.Tensor | null = null;
  const grads = tf.tidy(() => {
    const x = tf.tensor4d(batch.x, [batch.n, c.inputSize, c.inputSize, 3]);
    const target = (c.task === 'classify' ? tf.tensor2d(batch.y!, [batch.n, c.classes]) : tf.tensor2d(batch.boxes!, [batch.n, 4])) as tf.Tensor2D;
    inputs?.(x, target);
    const frozen = spec.frozenTeacher ? (spec.frozenTeacher.apply(x, { training: false }) as tf.Tensor2D) : null;
    const vars = spec.trainees.flatMap((t) => t.vars);
    const { grads } = tf.variableGrads(() => {
      const outputs = new Map<string, tf.Tensor2D>();
      for (const t of spec.trainees) outputs.set(t.name, t.model.apply(x, { training: true }) as tf.Tensor2D);
      const teacherOut = frozen ?? (spec.teacherName ? outputs.get(spec.teacherName)! : null);
      const inputsOf = (t: Trainee) => {
        const role: Role = t.name === spec.teacherName ? 'teacher' : 'student';
        const peers = role === 'student' ? spec.students.filter((s) => s !== t.name).map((s) => outputs.get(s)!) : [];
        return [target, outputs.get(t.name)!, teacherOut, peers, role] as const;
      };
      const b = c.task === 'classify' && fastKernelsActive() && fusedLossEnabled() ? webgpuBackend() : null;
      if (b) {
        // One loss kernel per network forward and one backward; its terms land in the report.
        const args = spec.trainees.map((t) => fusedLossArgsFor(c, ...inputsOf(t)));
        if (args.every((a) => fusedLossSupported(b, a))) {
          const fusedReport = tf.keep(createLossReport(b, args.length));
          report = fusedReport;
          return tf.addN(args.map((a, k) => fusedLossTotal(b, a, fusedReport, k))) as tf.Scalar;
        }
      }
      const terms = spec.trainees.map((t) => lossTermsFor(c, ...inputsOf(t)));
      report = tf.keep(tf.stack(terms.flatMap((t) => [t.ce, t.kd, t.ml, t.total])));
      return tf.addN(terms.map((t) => t.total)) as tf.Scalar;
    }, vars);
    return grads;
  });
  return { report: report!, grads };
}

/** The report's values as loss terms per trainee. */
function lossRecords(names: string[], values: ArrayLike<number>): Record<string, LossRecord> {
  const losses: Record<string, LossRecord> = {};
  names.forEach((n, i) => {
    losses[n] = { ce: values[i * 4], kd: values[i * 4 + 1], ml: values[i * 4 + 2], total: values[i * 4 + 3] };
  });
  return losses;
}

/** NAN_LOSS naming the first trainee whose loss is not finite, if any. */
function assertFinite(losses: Record<string, LossRecord>, epoch: number, step: number): void {
  const bad = Object.keys(losses).find((n) => !Number.isFinite(losses[n].total));
  if (bad) {
    throw new EngineError(
      'NAN_LOSS',
      `The loss of ${bad} became ${losses[bad].total} at epoch ${epoch + 1}, step ${step + 1}; the weights are kept as they were after the previous step`,
      bad,
      { epoch, step, losses },
    );
  }
}

/**
 * One eager cohort step: forward, losses, backward, a read of the loss terms (NAN_LOSS before any
 * weight changes), then the updates.
 */
export async function trainStep(
  c: RunConfig,
  spec: PhaseSpec,
  batch: Batch,
  epoch: number,
  step: number,
  /** Filled with the CPU ms spent issuing the step's work (not waiting for the loss). */
  timing?: { issueMs: number },
): Promise<Record<string, LossRecord>> {
  const names = spec.trainees.map((t) => t.name);
  const t0 = performance.now();
  const { report, grads } = forwardBackward(c, spec, batch);
  const t1 = performance.now();
  const values = await report.data();
  const t2 = performance.now();
  tf.dispose(report);
  const losses = lossRecords(names, values);
  try {
    assertFinite(losses, epoch, step);
  } catch (e) {
    tf.dispose(grads);
    throw e;
  }
  tf.tidy(() => {
    for (const t of spec.trainees) applyUpdate(t, grads, c.weightDecay);
  });
  tf.dispose(grads);
  if (timing) timing.issueMs = t1 - t0 + (performance.now() - t2);
  return losses;
}

/**
 * How runPhase runs its steps: eagerly, each step's losses read before its update (`deferred`
 * false), or through the step graph (./stepGraph.ts: recorded once and replayed on WebGPU with the
 * fast kernels and replay on), whose losses come back one step later (`deferred` true).
 */
export interface CohortStepper {
  deferred: boolean;
  run(batch: Batch, epoch: number, step: number): Promise<Record<string, LossRecord>>;
  /** Before GPU work that is not a step (evaluation, checkpoint): the graph's buffers go back to the pool. */
  release(): void;
  dispose(): Promise<void>;
  /** The step graph's counters, when there is one. */
  graph: StepRunner | null;
}

export function cohortStepper(c: RunConfig, spec: PhaseSpec): CohortStepper {
  const names = spec.trainees.map((t) => t.name);
  if (!(replayEnabled() && fastKernelsActive() && webgpuBackend())) {
    return { deferred: false, run: (batch, epoch, step) => trainStep(c, spec, batch, epoch, step), release() {}, async dispose() {}, graph: null };
  }
  const runner = new StepRunner(
    {
      terms: names.length * 4,
      forwardBackward: (batch, inputs) => forwardBackward(c, spec, batch, inputs),
      update: (grads) => {
        for (const t of spec.trainees) applyUpdate(t, grads, c.weightDecay);
      },
      refreshHyperparameters: () => {
        for (const t of spec.trainees) {
          t.optimizer.weightDecay = c.weightDecay;
          t.optimizer.refreshKernelParams();
        }
      },
      persistent: () => [
        ...spec.trainees.flatMap((t) => [...t.model.weights.map((w) => w.read()), ...t.optimizer.momentumTensors()]),
        ...(spec.frozenTeacher?.weights.map((w) => w.read()) ?? []),
      ],
    },
    { replay: true },
  );
  return {
    deferred: true,
    run: async (batch) => lossRecords(names, (await runner.run(batch)).subarray(1)),
    release: () => runner.release(),
    dispose: () => runner.dispose(),
    graph: runner,
  };
}

/** Forward the test set through each model in inference mode; [N, C] probabilities or [N, 4] boxes. */
export async function predict(model: tf.LayersModel, s: Samples, c: RunConfig, batchSize = 32): Promise<Float32Array> {
  const width = c.task === 'classify' ? c.classes : 4;
  const out = new Float32Array(s.count * width);
  const idx = Array.from({ length: s.count }, (_, i) => i);
  for (let start = 0; start < s.count; start += batchSize) {
    const chunk = idx.slice(start, start + batchSize);
    const batch = assembleBatch(s, chunk, c.normalization, c.classes);
    const y = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.n, c.inputSize, c.inputSize, 3]);
      const o = model.apply(x, { training: false }) as tf.Tensor2D;
      return c.task === 'classify' ? tf.softmax(o) : o;
    });
    out.set(await y.data(), start * width);
    y.dispose();
  }
  return out;
}

function metricsOf(c: RunConfig, pred: Float32Array, s: Samples): Metrics {
  return c.task === 'classify' ? classificationMetrics(pred, s.labels!, c.classes) : boxMetrics(pred, s.boxes!);
}

/** Evaluate every network and the students' ensembles on `s`. */
export async function evaluateCohort(
  c: RunConfig,
  models: { name: string; role: Role; model: tf.LayersModel }[],
  s: Samples,
  phase: Phase,
  epoch: number,
): Promise<{ evaluation: Evaluation; predictions: Predictions }> {
  const preds: Record<string, Float32Array> = {};
  for (const m of models) preds[m.name] = await predict(m.model, s, c);
  const networks: Record<string, Metrics> = {};
  for (const m of models) networks[m.name] = metricsOf(c, preds[m.name], s);
  const students = models.filter((m) => m.role === 'student').map((m) => preds[m.name]);
  const ensemblePreds: Record<string, Float32Array> = {};
  if (students.length > 0) {
    if (c.task === 'classify') {
      ensemblePreds.max = ensembleRows(students, 'max');
      ensemblePreds.mean = ensembleRows(students, 'mean');
    } else {
      ensemblePreds[c.boxEnsemble] = ensembleBoxRows(students, c.boxEnsemble);
    }
  }
  const ensembles: Record<string, Metrics> = {};
  for (const [k, v] of Object.entries(ensemblePreds)) ensembles[k] = metricsOf(c, v, s);
  return { evaluation: { phase, epoch, networks, ensembles }, predictions: { networks: preds, ensembles: ensemblePreds } };
}

/** The epoch's test evaluation with the same metrics on the validation images added (held out: never in a batch). */
async function withValidation(
  c: RunConfig,
  models: { name: string; role: Role; model: tf.LayersModel }[],
  data: TrainData,
  evaluation: Evaluation,
): Promise<Evaluation> {
  if (!data.val?.count) return evaluation;
  const v = (await evaluateCohort(c, models, data.val, evaluation.phase, evaluation.epoch)).evaluation;
  return { ...evaluation, validation: { networks: v.networks, ensembles: v.ensembles } };
}

/**
 * Pre-train a teacher alone with CE (eq. 2), for KD and KD+ML offline. Returns the model; the
 * caller owns it and can reuse it for every run of the same seed.
 */
export async function pretrainTeacher(c: RunConfig, data: TrainData, opts: TrainOptions = {}): Promise<tf.LayersModel> {
  validateRunConfig(c);
  validateData(c, data);
  if (!c.teacher) throw new EngineError('INVALID_CONFIG', 'teacher: this mode needs a teacher', 'teacher');
  const [teacher] = buildCohort({ ...c, students: [] }, true, opts.weights);
  const trainee = makeTrainee(TEACHER, teacher.model, c);
  const rng = new Rng(deriveSeed(c.seed, 'teacher-pretraining'));
  const epochs = c.teacherEpochs ?? c.epochs;
  const teacherSteps = stepsPerEpochFor(c, data.train.count);
  opts.onEvent?.({ type: 'phase', phase: 'teacher', epochs, stepsPerEpoch: teacherSteps, totalSteps: teacherSteps * epochs });
  try {
    await runPhase(
      c,
      data,
      { phase: 'teacher', epochs, trainees: [trainee], students: [], teacherName: TEACHER, frozenTeacher: null },
      rng,
      opts,
      async (epoch) => withValidation(c, [teacher], data, (await evaluateCohort(c, [teacher], data.test, 'teacher', epoch)).evaluation),
      [],
    );
  } catch (e) {
    teacher.model.dispose();
    throw e;
  } finally {
    disposeOptimizer(trainee.optimizer);
  }
  return teacher.model;
}

/**
 * Train one run (one mode, one seed): pre-train and freeze the teacher where the mode asks for it
 * (or use `opts.pretrainedTeacher`), then train the cohort for `c.epochs` epochs.
 */
export async function trainCohort(c: RunConfig, data: TrainData, opts: TrainOptions = {}): Promise<RunResult> {
  validateRunConfig(c);
  validateData(c, data);
  const tStart = performance.now();
  const frozenMode = usesFrozenTeacher(c.mode);
  const stepTimes: number[] = [];
  let teacherModel: tf.LayersModel | null = null;
  let ownsTeacher = false;
  let teacherMs = 0;
  const built = buildCohort(c, usesTeacher(c.mode) && !frozenMode, opts.weights);
  const disposeAll = () => {
    for (const b of built) b.model.dispose();
    if (ownsTeacher) teacherModel?.dispose();
  };
  try {
    if (frozenMode) {
      if (opts.pretrainedTeacher) teacherModel = opts.pretrainedTeacher;
      else {
        const t0 = performance.now();
        // A teacher trained inside this call is not checkpointed under the run's key (the scheduler
        // pre-trains shared teachers under their own key and passes them in).
        teacherModel = await pretrainTeacher(c, data, { ...opts, checkpoint: undefined });
        ownsTeacher = true;
        teacherMs = performance.now() - t0;
      }
    } else if (usesTeacher(c.mode)) {
      teacherModel = built.find((b) => b.role === 'teacher')!.model;
    }
    const members: { name: string; role: Role; model: tf.LayersModel }[] = [];
    if (teacherModel) members.push({ name: TEACHER, role: 'teacher', model: teacherModel });
    for (const b of built) if (b.role === 'student') members.push(b);

    const networks: NetworkInfo[] = members.map((m) => {
      const b = built.find((x) => x.name === m.name);
      const choice = m.role === 'teacher' ? c.teacher! : c.students[Number(m.name.slice('student'.length)) - 1];
      return {
        name: m.name,
        role: m.role,
        arch: b?.arch ?? choice.arch,
        width: b?.width ?? choice.width ?? 1,
        params: trainableParamCount(m.model),
        trained: !(m.role === 'teacher' && frozenMode),
        weights: weightsSourceOf(m.model),
      };
    });
    const trainees = built.map((b) => makeTrainee(b.name, b.model, c));
    const steps = stepsPerEpochFor(c, data.train.count);
    opts.onEvent?.({
      type: 'start',
      mode: c.mode,
      seed: c.seed,
      networks,
      backend: tf.getBackend(),
      stepsPerEpoch: steps,
      totalSteps: steps * c.epochs,
    });
    opts.onEvent?.({ type: 'phase', phase: 'cohort', epochs: c.epochs, stepsPerEpoch: steps, totalSteps: steps * c.epochs });
    const t1 = performance.now();
    let lastPredictions: Predictions | null = null;
    const rng = new Rng(deriveSeed(c.seed, 'cohort'));
    let history: Evaluation[];
    try {
      history = await runPhase(
        c,
        data,
        {
          phase: 'cohort',
          epochs: c.epochs,
          trainees,
          students: c.students.map((_, k) => studentName(k)),
          teacherName: usesTeacher(c.mode) && !frozenMode ? TEACHER : null,
          frozenTeacher: frozenMode ? teacherModel : null,
        },
        rng,
        opts,
        async (epoch) => {
          const r = await evaluateCohort(c, members, data.test, 'cohort', epoch);
          lastPredictions = r.predictions;
          return withValidation(c, members, data, r.evaluation);
        },
        stepTimes,
      );
    } finally {
      for (const t of trainees) disposeOptimizer(t.optimizer);
    }
    const cohortMs = performance.now() - t1;
    if (!lastPredictions) {
      // Resumed from a checkpoint taken after the last epoch: evaluate once for the predictions.
      lastPredictions = (await evaluateCohort(c, members, data.test, 'cohort', c.epochs - 1)).predictions;
    }
    const final = history[history.length - 1];
    const models: Record<string, tf.LayersModel> = {};
    for (const m of members) models[m.name] = m.model;
    const totalMs = performance.now() - tStart;
    opts.onEvent?.({ type: 'done', final, ms: totalMs });
    return {
      config: c,
      networks,
      history,
      final,
      predictions: lastPredictions!,
      models,
      backend: tf.getBackend(),
      timings: {
        totalMs,
        teacherMs,
        cohortMs,
        meanStepMs: stepTimes.length ? stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length : 0,
      },
    };
  } catch (e) {
    disposeAll();
    throw e;
  }
}

/** Dispose every model of a result, except a shared pre-trained teacher the caller still needs. */
export function disposeRun(r: RunResult, keep?: tf.LayersModel): void {
  for (const m of Object.values(r.models)) if (m !== keep) m.dispose();
  // Or tfjs-layers' graph cache keeps the disposed networks' layers alive (./graphCache.ts).
  forgetDisposedGraphs();
}
