/**
 * Dynamic inputs of a recorded training step: tensors whose values come from the CPU and change
 * from one step to the next (the batch's images and labels, seeded dropout masks). Code that makes
 * such a tensor marks it with a function that produces the next step's values; while a step is
 * being recorded (./recorder.ts) the mark tags the tensor's upload, and every replay
 * (./graph.ts) calls the function and writes what it returns where the upload was. Outside a
 * recording a mark costs one null check.
 *
 * Depends on tfjs types only; imported by the engine's layers and the step graph.
 */
import type * as tf from '@tensorflow/tfjs';

/** The values of the next step, in the tensor's dtype and size. */
export type Regenerate = () => Float32Array | Int32Array;

type Sink = (t: tf.Tensor, regenerate: Regenerate) => void;

let sink: Sink | null = null;

/** Install (or clear) the recorder's receiver of marks. */
export function setDynamicSink(s: Sink | null): void {
  sink = s;
}

/** Say that `t`'s values change per step and how to make the next step's. */
export function markDynamic(t: tf.Tensor, regenerate: Regenerate): void {
  sink?.(t, regenerate);
}

/** True while a step is being recorded. */
export function recordingActive(): boolean {
  return sink !== null;
}
