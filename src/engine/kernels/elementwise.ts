/// <reference types="@webgpu/types" />
/**
 * One element-wise dispatch over same-shaped float32 inputs, for the fused gradient kernels
 * (./ReluGrad.ts, ./SigmoidGrad.ts): `expr` is a WGSL expression of the inputs' values at index i,
 * named as the inputs are, in vec4 form when the size allows.
 */
import * as tf from '@tensorflow/tfjs';
import { bufferOf, dispatch, grid2d, intUniforms, newOutput, pipelineFor, type WebGPUBackendInternals } from './runtime';

const WG = 256;

function shader(names: string[], expr: string, vec4: boolean): string {
  const T = vec4 ? 'vec4<f32>' : 'f32';
  return /* wgsl */ `
alias T = ${T};
struct U { n: i32, p0: i32, p1: i32, p2: i32 };
@group(0) @binding(0) var<storage, read_write> outBuf: array<T>;
${names.map((n, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${n}Buf: array<T>;`).join('\n')}
@group(0) @binding(${names.length + 1}) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (i >= u.n) { return; }
  ${names.map((n) => `let ${n} = ${n}Buf[i];`).join(' ')}
  outBuf[i] = ${expr};
}`;
}

/** out = expr(inputs...), all of `inputs[0]`'s shape. `key` names the pipeline. */
export function elementwise(b: WebGPUBackendInternals, key: string, expr: string, inputs: Record<string, tf.TensorInfo>): tf.TensorInfo {
  const names = Object.keys(inputs);
  const first = inputs[names[0]];
  const out = newOutput(b, first.shape);
  const n = first.shape.reduce((a, d) => a * d, 1);
  if (n === 0) return out;
  const vec4 = n % 4 === 0;
  const units = vec4 ? n / 4 : n;
  const p = pipelineFor(b, `${key}_${vec4 ? 'v4' : 's'}`, () => shader(names, expr, vec4));
  const bufs = [bufferOf(b, out), ...names.map((k) => bufferOf(b, inputs[k])), intUniforms(b, [units, 0, 0, 0])];
  dispatch(b, p, bufs, grid2d(Math.ceil(units / WG)), [out, ...names.map((k) => inputs[k])]);
  return out;
}
