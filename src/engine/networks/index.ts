/** The network zoo: torchvision architectures as tfjs LayersModels, and the custom layers they use. */
export * from './zoo';
export { makeDivisible, scaleChannels } from './builder';
export { AdaptiveAveragePooling2D, SeededDropout, registerCustomLayers, resetDropoutCounters, setDropoutCalls, dropoutCalls } from '../customLayers';
