/**
 * Whether the engine's fast WebGPU kernels are on: the one flag that the switch
 * (./fastKernels.ts) sets and the kernels and gradient overrides read. Kept apart from the switch
 * so that the modules the switch installs never import it back.
 */
import * as tf from '@tensorflow/tfjs';

const BACKEND = 'webgpu';
let enabled = false;

export function setFastKernelsEnabled(on: boolean): void {
  enabled = on;
}

export function fastKernelsEnabled(): boolean {
  return enabled;
}

/** True when the fast kernels are on and the active backend is WebGPU. */
export function fastKernelsActive(): boolean {
  return enabled && tf.getBackend() === BACKEND;
}

let replay = true;

/**
 * Whether the trainer records its step once and replays it (../stepGraph.ts) where it can: on by
 * default; the studio's `?replay=off` and the command line's `--no-replay` turn it off to compare.
 */
export function setReplayEnabled(on: boolean): void {
  replay = on;
}

export function replayEnabled(): boolean {
  return replay;
}
