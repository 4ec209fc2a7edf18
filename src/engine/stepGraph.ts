/// <reference types="@webgpu/types" />
/**
 * The training step as a graph: on WebGPU with the fast kernels on, the trainer's step runs eager
 * once (it creates the optimiser's momentum buffers), is recorded at the WebGPU API level the
 * second time (./kernels/replay/recorder.ts), recorded once more to check that the two recordings
 * agree (a value that changes per step but is not marked dynamic would show up here, and the graph
 * is then never replayed), and from then on replayed (./kernels/replay/graph.ts): one command
 * encoder, one submit, no tfjs work, the batch, labels and dropout masks rewritten per step, the
 * optimiser's learning-rate block refreshed before each replay.
 *
 * Every step, eager or replayed, is guarded on the GPU (./kernels/replay/guard.ts): the optimiser
 * skips its update once a loss term is not finite, and the loss terms come back through a buffer
 * mapped after the step, so the host reads a step's losses while the GPU runs the next one and no
 * step waits for its own loss. The trainer turns a non-finite loss into NAN_LOSS for that step;
 * the weights are then those after the last good step.
 *
 * The graph is recorded again after a weight or optimiser buffer was replaced (a checkpoint
 * restored), on a new device, or when the batch shape changes (a shorter last batch runs eager and
 * leaves the graph alone). Between steps of a graph its transient buffers are pinned out of tfjs's
 * pool; `release` gives them back before other GPU work (an evaluation, a checkpoint), and the
 * next replay takes them out again.
 *
 * What the step is stays the trainer's (./trainer.ts passes its functions in); models and exports
 * stay plain tfjs. Imports the kernels' runtime and replay modules, never the trainer. No DOM.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './batch';
import { setStepGuard, webgpuBackend, type WebGPUBackendInternals } from './kernels/runtime';
import { compareRecordings, Recorder, type Recording } from './kernels/replay/recorder';
import { GraphError, StepGraph } from './kernels/replay/graph';
import { createStatus, recordGuard, StatusReader } from './kernels/replay/guard';
import { markDynamic } from './kernels/replay/dynamic';

/** What one training step is: supplied by the trainer. */
export interface StepFunctions {
  /** Number of loss values the step reports. */
  terms: number;
  /**
   * Forward, losses and backward on `batch`, without the update: the loss report (`terms`
   * values) and the gradients. `inputs` is called with the batch tensors as soon as they exist.
   */
  forwardBackward(batch: Batch, inputs: (x: tf.Tensor, target: tf.Tensor) => void): { report: tf.Tensor; grads: tf.NamedTensorMap };
  /** The optimiser updates. */
  update(grads: tf.NamedTensorMap): void;
  /** Write the optimisers' current hyperparameters where a replayed step reads them. */
  refreshHyperparameters(): void;
  /** Every tensor that lives across steps and that a step touches. */
  persistent(): tf.Tensor[];
}

export interface StepGraphStats {
  eagerSteps: number;
  recordedSteps: number;
  replayedSteps: number;
  /** Recordings made into a graph. */
  captures: number;
  /** Why the step is not replayed (null while it is, or before it could be). */
  reason: string | null;
  /** Dispatches per replayed step. */
  dispatches: number;
  pinnedBytes: number;
}

type Phase = 'warm' | 'capture' | 'verify' | 'replay' | 'off';

const MAX_CAPTURE_ATTEMPTS = 3;

export class StepRunner {
  readonly stats: StepGraphStats = {
    eagerSteps: 0,
    recordedSteps: 0,
    replayedSteps: 0,
    captures: 0,
    reason: null,
    dispatches: 0,
    pinnedBytes: 0,
  };
  private phase: Phase;
  private graph: StepGraph | null = null;
  private graphN = -1;
  private mainN = -1;
  private captured: Recording | null = null;
  private attempts = 0;
  private current: Batch | null = null;
  private readonly b: WebGPUBackendInternals;
  private readonly status: GPUBuffer;
  private readonly reader: StatusReader;
  /** CPU ms spent issuing the last step (recording and submitting, no waiting). */
  lastIssueMs = 0;

  constructor(
    private readonly fns: StepFunctions,
    opts: { replay: boolean },
  ) {
    const b = webgpuBackend();
    if (!b) throw new Error('StepRunner needs the WebGPU backend');
    this.b = b;
    this.phase = opts.replay ? 'warm' : 'off';
    this.status = createStatus(b, fns.terms);
    this.reader = new StatusReader(b.device, this.status.size);
  }

  /**
   * Issue one step on `batch` and return its status once the GPU has run it: [ok, loss terms...]
   * (ok is 0 from the first step whose losses were not finite on).
   */
  run(batch: Batch): Promise<Float32Array> {
    const t0 = performance.now();
    try {
      return this.issue(batch);
    } finally {
      this.lastIssueMs = performance.now() - t0;
    }
  }

  private issue(batch: Batch): Promise<Float32Array> {
    const b = webgpuBackend();
    if (b !== this.b) throw new GraphError('the WebGPU backend changed during the run');
    this.current = batch;
    if (this.mainN < 0) this.mainN = batch.n;
    if (this.graph) {
      const stale = this.graph.staleReason();
      if (stale) this.dropGraph(this.phase === 'replay' || this.phase === 'verify' ? 'capture' : this.phase);
    }
    if (this.phase === 'replay' && this.graph && batch.n === this.graphN) {
      try {
        this.fns.refreshHyperparameters();
        let read: (() => Promise<Float32Array>) | null = null;
        this.graph.replay((enc) => (read = this.reader.copy(enc, this.status)));
        this.stats.replayedSteps++;
        return read!();
      } catch (e) {
        if (!(e instanceof GraphError)) throw e;
        // Nothing was submitted: record the step again from here.
        this.stats.reason = e.message;
        this.attempts++;
        this.dropGraph('capture');
      }
    }
    const mode = this.phase === 'capture' && batch.n === this.mainN ? 'capture' : this.phase === 'verify' && batch.n === this.graphN ? 'verify' : null;
    const recording = this.eager(batch, mode !== null);
    if (this.phase === 'warm' && batch.n === this.mainN) this.phase = 'capture';
    else if (mode === 'capture') this.adopt(recording!);
    else if (mode === 'verify') this.verify(recording!);
    const enc = this.b.device.createCommandEncoder();
    const read = this.reader.copy(enc, this.status);
    this.b.queue.submit([enc.finish()]);
    return read();
  }

  /** One guarded eager step, recorded when asked. */
  private eager(batch: Batch, record: boolean): Recording | null {
    const b = this.b;
    // The graph's buffers go back to the pool while tfjs runs a step itself, so memory stays at
    // the eager step's.
    this.graph?.unpin();
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
    const recorder = record ? new Recorder(b) : null;
    recorder?.start();
    try {
      setStepGuard(this.status);
      tf.tidy(() => {
        const { report, grads } = this.fns.forwardBackward(batch, (x, target) => {
          markDynamic(x, () => this.current!.x);
          markDynamic(target, () => (this.current!.y ?? this.current!.boxes)!);
        });
        recordGuard(b, report, this.status);
        this.fns.update(grads);
        report.dispose();
      });
      // Submitted inside the recording: it resolves the last dispatches' uniforms and returns the
      // step's transient buffers to the pool, where the graph finds them.
      if (b.commandEncoder) {
        b.endComputePassEncoder();
        b.submitQueue();
      }
    } finally {
      setStepGuard(null);
    }
    const recording = recorder?.stop() ?? null;
    if (recording) this.stats.recordedSteps++;
    else this.stats.eagerSteps++;
    return recording;
  }

  private adopt(rec: Recording): void {
    try {
      this.graph = new StepGraph(this.b, rec, this.fns.persistent());
      this.graphN = this.current!.n;
      this.captured = rec;
      this.stats.captures++;
      this.stats.dispatches = this.graph.stats.dispatches;
      this.stats.pinnedBytes = this.graph.stats.pinnedBytes;
      this.phase = 'verify';
    } catch (e) {
      if (!(e instanceof GraphError)) throw e;
      this.stats.reason = e.message;
      if (++this.attempts >= MAX_CAPTURE_ATTEMPTS) this.phase = 'off';
    }
  }

  private verify(rec: Recording): void {
    const diff = compareRecordings(this.captured!, rec);
    this.captured = null;
    if (diff) {
      // The step is not the same from one step to the next: replaying it would be wrong.
      this.stats.reason = diff;
      this.dropGraph('off');
      return;
    }
    this.stats.reason = null;
    this.phase = 'replay';
  }

  private dropGraph(next: Phase): void {
    this.graph?.dispose();
    this.graph = null;
    this.graphN = -1;
    this.captured = null;
    this.phase = next === 'capture' && this.attempts >= MAX_CAPTURE_ATTEMPTS ? 'off' : next;
  }

  /** True when the next full batch will be replayed. */
  get replaying(): boolean {
    return this.phase === 'replay';
  }

  /** Give the graph's pinned buffers back to tfjs's pool before other GPU work. */
  release(): void {
    this.graph?.unpin();
  }

  /** Free everything, once the steps in flight have come back. */
  async dispose(): Promise<void> {
    await this.reader.settled();
    this.graph?.dispose();
    this.graph = null;
    this.captured = null;
    this.reader.dispose();
    this.status.destroy();
  }
}
