/**
 * A network's initial weights: random from its seed (what `buildNetwork` draws), or a torchvision
 * state dict named by the spec (`teacher.weights`, `students[k].weights`). The files are read and
 * checked for format and dtype once, before any network is built (`readStateDict`), and looked up
 * by name here; each model remembers where its weights came from, so a frozen teacher built in
 * one place and reported in another says the same thing.
 *
 * Owns: `WeightsLookup`, `applyInitialWeights`, `weightsSourceOf`, `checkWeightsFit`. Must not
 * import the trainer or the DOM.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../../core/errors';
import { SEEDED, type WeightsSource } from '../../core/weights';
import { buildNetwork, type NetworkSpec } from '../networks/zoo';
import type { StateDict } from './stateDict';
import { checkStateDict, loadTorchvisionWeights, torchvisionPlan } from './torchvision';

/** The parsed state dict of a file the spec names (throws a typed error when there is none). */
export type WeightsLookup = (file: string) => StateDict;

const sources = new WeakMap<tf.LayersModel, WeightsSource>();

/** Where `model`'s initial weights came from (seeded unless `applyInitialWeights` loaded a file). */
export function weightsSourceOf(model: tf.LayersModel): WeightsSource {
  return sources.get(model) ?? SEEDED;
}

/**
 * Load `file` (when given) into a freshly built, seeded `model`; everything is checked before any
 * weight is written, and the head keeps its seeded weights when its class count differs.
 */
export function applyInitialWeights(model: tf.LayersModel, arch: string, file: string | undefined, lookup: WeightsLookup | undefined): WeightsSource {
  if (!file) {
    sources.set(model, SEEDED);
    return SEEDED;
  }
  if (!lookup) throw new EngineError('INVALID_CONFIG', `No weights files were given to this run, but a network starts from ${file}`, file);
  const report = loadTorchvisionWeights(model, arch, lookup(file));
  const source: WeightsSource = {
    kind: 'file',
    file,
    format: report.format,
    loaded: report.loaded,
    headReinitialised: report.headReinitialised?.reason ?? null,
  };
  sources.set(model, source);
  return source;
}

/**
 * Check that `file` fits the network of `spec` (every key, every shape) without keeping anything:
 * the network is built, matched on the CPU and freed. Returns what loading it would do.
 */
export function checkWeightsFit(spec: NetworkSpec, sd: StateDict): WeightsSource {
  const model = buildNetwork(spec);
  try {
    const { report } = checkStateDict(torchvisionPlan(model, String(spec.arch)), sd);
    return { kind: 'file', file: sd.file, format: report.format, loaded: report.loaded, headReinitialised: report.headReinitialised?.reason ?? null };
  } finally {
    model.dispose();
  }
}
