/**
 * 'CohortReluGrad' {dy, x} -> dx = dy * step(x): the gradient of Relu in one dispatch. tfjs-core's
 * Relu gradient is mul(dy, cast(step(x))), two dispatches per ReLU, and a ResNet152 has ~150 ReLUs.
 * Installed as Relu's gradient by ./gradients.ts while the fast kernels are on.
 */
import * as tf from '@tensorflow/tfjs';
import { elementwise } from './elementwise';
import { asInternals } from './runtime';

export const RELU_GRAD = 'CohortReluGrad';

const reluGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  // dy * step(x), as tfjs computes it (a NaN in dy propagates).
  return elementwise(asInternals(backend), 'cohort_relu_grad', 'dy * select(T(0.0), T(1.0), x > T(0.0))', { dy, x });
};

export function registerReluGradKernel(): void {
  if (!tf.getKernel(RELU_GRAD, 'webgpu')) tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'webgpu', kernelFunc: reluGrad });
}
