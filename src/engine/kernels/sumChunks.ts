/// <reference types="@webgpu/types" />
/**
 * The second pass of the split reductions (./Conv2DBackpropFilter.ts,
 * ./DepthwiseConv2dNativeBackpropFilter.ts): out[i] = sum over k of part[k * size + i].
 */
import type * as tf from '@tensorflow/tfjs';
import { bufferOf, dispatch, grid2d, intUniforms, pipelineFor, type WebGPUBackendInternals } from './runtime';

const WG = 256;

function shader(): string {
  return /* wgsl */ `
struct U { size: i32, chunks: i32, p0: i32, p1: i32 };
@group(0) @binding(0) var<storage, read_write> outBuf: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (i >= u.size) { return; }
  var s = 0.0;
  for (var k = 0; k < u.chunks; k++) { s = s + part[k * u.size + i]; }
  outBuf[i] = s;
}`;
}

/** Record the sum of `chunks` partial arrays of `size` floats in `part` into `out`. */
export function sumChunks(b: WebGPUBackendInternals, out: tf.TensorInfo, part: GPUBuffer, size: number, chunks: number): void {
  const p = pipelineFor(b, 'cohort_sum_chunks', shader);
  dispatch(b, p, [bufferOf(b, out), part, intUniforms(b, [size, chunks, 0, 0])], grid2d(Math.ceil(size / WG)), [out]);
}
