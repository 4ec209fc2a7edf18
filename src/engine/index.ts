/**
 * The engine's public API: networks, losses, ensembles, metrics and the cohort trainer.
 * Plain TypeScript on TensorFlow.js; no DOM, no React.
 */
export { buildNetwork, trainableParamCount, isArch, ARCHS } from './networks';
export type { Arch, Task, NetworkSpec } from './networks';
export {
  studentLoss,
  studentLossTerms,
  boxLoss,
  boxLossTerms,
  boxIoU,
  boxGIoU,
  boxDistance,
  crossEntropy,
  temperedKL,
  stopGradient,
} from './losses';
export type { StudentLossArgs, BoxLossArgs, LossTerms } from './losses';
export { ensembleProbabilities, ensembleBoxes, ensembleRows, ensembleBoxRows } from './ensemble';
export type { EnsembleRule, BoxEnsembleRule } from './ensemble';
export { classificationMetrics, boxMetrics, rocAuc, rocCurve, iouOf, argmaxRows } from './metrics';
export type { ClassMetrics, BoxMetrics } from './metrics';
export {
  MODES,
  MODE_LABELS,
  PAPER_DEFAULTS,
  IMAGENET_NORMALIZATION,
  defaultRunConfig,
  validateRunConfig,
  usesPeers,
  usesTeacher,
  usesFrozenTeacher,
} from './config';
export type { Mode, RunConfig, NetworkChoice, AugmentConfig, Normalization } from './config';
export { trainCohort, pretrainTeacher, evaluateCohort, predict, validateData, disposeRun, stepsPerEpochFor } from './trainer';
export type { TrainEvent, StepEvent, Evaluation, RunResult, NetworkInfo, LossRecord, Metrics, TrainOptions, Predictions, Role, Phase } from './trainer';
export type { Samples, TrainData } from './batch';
export { EngineError, isEngineError } from './errors';
export type { EngineErrorCode } from './errors';
export { Rng, deriveSeed } from './rng';
export { CheckpointStore, MemoryFiles, captureCheckpoint, restoreCheckpoint } from './checkpoint';
export type { Checkpoint, CheckpointMeta, CheckpointFiles } from './checkpoint';
export { makeBundle, openBundle, closeBundle, predictBundle, modelToFiles, modelFromFiles } from './bundle';
export type { EnsembleManifest, OpenedBundle, BundlePrediction } from './bundle';
export { SgdMomentum } from './optimizer';
export { enableFastKernels, disableFastKernels, fastKernelsActive } from './kernels/fastKernels';
export { registerCustomLayers } from './customLayers';
