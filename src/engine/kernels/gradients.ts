/**
 * Gradient overrides installed while the fast kernels are on (the gradient registry is global in
 * tfjs, not per backend, so each override checks the active backend and falls back to the stock
 * gradient elsewhere). `removeGradientOverrides` restores the stock gradient configs.
 */
import * as tf from '@tensorflow/tfjs';
import { fastKernelsActive } from './state';
import { registerReluGradKernel, RELU_GRAD } from './ReluGrad';
import { registerSigmoidGradKernel, SIGMOID_GRAD } from './SigmoidGrad';

interface GradOverride {
  kernelName: string;
  make: (stock: tf.GradConfig) => tf.GradConfig;
}

const OVERRIDES: GradOverride[] = [
  {
    kernelName: 'Relu',
    make: (stock) => ({
      ...stock,
      gradFunc: (dy, saved, attrs) => {
        if (!fastKernelsActive() || Array.isArray(dy) || saved[0].dtype !== 'float32') return stock.gradFunc(dy, saved, attrs);
        const [x] = saved;
        return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x }, {}) as tf.Tensor };
      },
    }),
  },
  {
    kernelName: 'Sigmoid',
    make: (stock) => ({
      ...stock,
      gradFunc: (dy, saved, attrs) => {
        if (!fastKernelsActive() || Array.isArray(dy) || saved[0].dtype !== 'float32') return stock.gradFunc(dy, saved, attrs);
        const [y] = saved;
        return { x: () => tf.engine().runKernel(SIGMOID_GRAD, { dy, y }, {}) as tf.Tensor };
      },
    }),
  },
];

const saved = new Map<string, tf.GradConfig>();

export function installGradientOverrides(): void {
  registerReluGradKernel();
  registerSigmoidGradKernel();
  for (const o of OVERRIDES) {
    if (saved.has(o.kernelName)) continue;
    const stock = tf.getGradient(o.kernelName);
    if (!stock) throw new Error(`installGradientOverrides: no stock gradient for '${o.kernelName}'`);
    saved.set(o.kernelName, stock);
    tf.unregisterGradient(o.kernelName);
    tf.registerGradient(o.make(stock));
  }
}

export function removeGradientOverrides(): void {
  for (const [name, stock] of saved) {
    tf.unregisterGradient(name);
    tf.registerGradient(stock);
  }
  saved.clear();
}
