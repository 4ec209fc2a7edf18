/**
 * The engine's public API: networks, losses, ensembles, the cohort trainer, checkpoints, export
 * bundles, the optimiser and the fast WebGPU kernels. Plain TypeScript on TensorFlow.js; no DOM,
 * no React. What the page may import as well (configs, metrics, errors, events, the RNG) is in
 * `src/core/`.
 */
export { buildNetwork, trainableParamCount, describeNetwork } from './networks';
export type { NetworkSpec, NetworkDescription } from './networks';
export { studentLoss, studentLossTerms, boxLoss, boxLossTerms, boxIoU, boxGIoU, boxDistance, crossEntropy, temperedKL, stopGradient } from './losses';
export type { StudentLossArgs, BoxLossArgs, LossTerms } from './losses';
export { ensembleProbabilities, ensembleBoxes, ensembleRows, ensembleBoxRows } from './ensemble';
export type { EnsembleRule, BoxEnsembleRule } from './ensemble';
export { trainCohort, pretrainTeacher, evaluateCohort, predict, validateData, disposeRun } from './trainer';
export type { RunResult, TrainOptions } from './trainer';
export { CheckpointStore, captureCheckpoint, restoreCheckpoint } from './checkpoint';
export type { Checkpoint, CheckpointMeta } from './checkpoint';
export { makeBundle, openBundle, closeBundle, predictBundle, modelToFiles, modelFromFiles } from './bundle';
export type { EnsembleManifest, OpenedBundle, BundlePrediction, ModelFiles } from './bundle';
export { gradCam, gradCamLayers } from './gradcam';
export type { GradCamMap } from './gradcam';
export { SgdMomentum } from './optimizer';
export { enableFastKernels, disableFastKernels, fastKernelsActive } from './kernels/fastKernels';
export { registerCustomLayers } from './customLayers';
