/**
 * 'CohortSigmoidGrad' {dy, y} -> dx = dy * y * (1 - y), y = sigmoid(x): Sigmoid's gradient in one
 * dispatch instead of tfjs-core's three (sub, mul, mul). EfficientNet's SiLU (x * sigmoid(x)) and
 * squeeze-excitation gates make it frequent in V3. Installed by ./gradients.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { elementwise } from './elementwise';
import { asInternals } from './runtime';

export const SIGMOID_GRAD = 'CohortSigmoidGrad';

const sigmoidGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  return elementwise(asInternals(backend), 'cohort_sigmoid_grad', 'dy * (y * (T(1.0) - y))', { dy, y });
};

export function registerSigmoidGradKernel(): void {
  if (!tf.getKernel(SIGMOID_GRAD, 'webgpu')) tf.registerKernel({ kernelName: SIGMOID_GRAD, backendName: 'webgpu', kernelFunc: sigmoidGrad });
}
