/**
 * The files that take one trained network out of the studio, beside its TensorFlow.js model:
 *
 * - `<name>.safetensors`: torchvision's state dict (loads with `load_state_dict(strict=True)` into
 *   `torchvision.models.<arch>(num_classes=C)` at width 1; `python/to_torchscript.py` builds the
 *   module for any width and the `_nofc` VGGs), with the architecture, classes, width, task, input
 *   size and normalisation in its `__metadata__`;
 * - `<name>.onnx`: the same network as ONNX (./onnx.ts), NCHW input;
 * - `config.json` (classification only): WSInfer's model config (architecture, class names, patch
 *   size, transform), for the TorchScript module `to_torchscript.py` makes.
 *
 * Owns: `interopFiles`, `wsinferConfig`. Must not import the trainer or the DOM.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Normalization } from '../../core/config';
import { weightsLabel, type WeightsSource } from '../../core/weights';
import { modelToOnnx, ONNX_OPSET } from './onnx';
import { writeSafetensors } from './safetensors';
import { exportStateDict } from './torchvision';

export interface InteropTarget {
  name: string;
  arch: string;
  width: number;
  task: 'classify' | 'box';
  /** Class count (classification). */
  classes: number;
  classNames?: string[];
  inputSize: number;
  normalization: Normalization;
  resize: 'stretch' | 'pad';
  weights?: WeightsSource;
}

/** The tensor layout and normalisation the exported `.onnx` and TorchScript modules expect. */
export function interopInput(t: Pick<InteropTarget, 'inputSize' | 'normalization'>) {
  return {
    layout: 'NCHW',
    shape: ['batch', 3, t.inputSize, t.inputSize],
    dtype: 'float32',
    normalization: `x = (rgb / 255 - mean) / std per channel, mean ${JSON.stringify(t.normalization.mean)}, std ${JSON.stringify(t.normalization.std)}`,
    onnx: { opset: ONNX_OPSET, input: 'input', output: 'output' },
  };
}

function metadataOf(t: InteropTarget): Record<string, string> {
  return {
    format: 'pt',
    producer: 'Cohort Studio',
    arch: t.arch,
    classes: String(t.classes),
    width: String(t.width),
    task: t.task,
    inputSize: String(t.inputSize),
    mean: JSON.stringify(t.normalization.mean),
    std: JSON.stringify(t.normalization.std),
    ...(t.classNames ? { classNames: JSON.stringify(t.classNames) } : {}),
    initialWeights: weightsLabel(t.weights),
  };
}

/**
 * WSInfer's config.json (spec 1.0). `spacing_um_px` is not known to the studio: 0.5 um/px (20x) is
 * written and the bundle's README says to set it to the resolution the tiles were cut at.
 */
export function wsinferConfig(t: InteropTarget): Record<string, unknown> {
  return {
    spec_version: '1.0',
    architecture: t.arch,
    num_classes: t.classes,
    class_names: t.classNames ?? Array.from({ length: t.classes }, (_, i) => `class${i}`),
    patch_size_pixels: t.inputSize,
    spacing_um_px: 0.5,
    transform: [
      { name: 'Resize', arguments: { size: t.inputSize } },
      { name: 'ToTensor' },
      { name: 'Normalize', arguments: { mean: t.normalization.mean, std: t.normalization.std } },
    ],
  };
}

/** `<name>.safetensors`, `<name>.onnx` and (classification) `config.json`, by file name. */
export async function interopFiles(model: tf.LayersModel, t: InteropTarget): Promise<Record<string, Uint8Array>> {
  const meta = metadataOf(t);
  const files: Record<string, Uint8Array> = {};
  files[`${t.name}.safetensors`] = writeSafetensors(await exportStateDict(model, t.arch), meta);
  files[`${t.name}.onnx`] = await modelToOnnx(model, { arch: t.arch, metadata: meta });
  if (t.task === 'classify') files['config.json'] = new TextEncoder().encode(JSON.stringify(wsinferConfig(t), null, 2));
  return files;
}
