/**
 * A weights file by its contents, not its name: safetensors (a JSON header after an 8-byte length)
 * or PyTorch's zip (`PK\x03\x04`). Anything else is WEIGHTS_NOT_STATE_DICT; the pre-1.6 PyTorch
 * format and TorchScript archives are named as such. Every tensor of a torchvision state dict must
 * be a float tensor, except BatchNorm's `num_batches_tracked` counter; the check runs here, on the
 * CPU, so a wrong dtype is refused before any network is built.
 *
 * Owns: `readStateDict`, `weightsFormat`. Must not import TensorFlow.js.
 */
import { looksLikeLegacyPytorch, readPytorch } from './pytorch';
import { looksLikeSafetensors, readSafetensors } from './safetensors';
import { FLOAT_DTYPES, weightsError, type StateDict } from './stateDict';
import { looksLikeZip } from './zip';

export type WeightsFormat = 'safetensors' | 'pytorch' | 'tfjs' | 'unknown';

/** What the bytes are; 'tfjs' is a layers model's model.json. */
export function weightsFormat(bytes: Uint8Array): WeightsFormat {
  if (looksLikeZip(bytes)) return 'pytorch';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  const head = new TextDecoder().decode(bytes.subarray(0, 4096)).trimStart();
  if (head.startsWith('{') && head.includes('"modelTopology"')) return 'tfjs';
  return 'unknown';
}

/** Tensors whose dtype may be an integer. */
export function isCounter(key: string): boolean {
  return key.endsWith('num_batches_tracked');
}

/** Read a state dict from a `.safetensors` or `.pth`/`.pt` file's bytes; typed errors name the file and key. */
export function readStateDict(bytes: Uint8Array, file: string): StateDict {
  if (bytes.length === 0) throw weightsError('WEIGHTS_NOT_STATE_DICT', file, 'the file is empty');
  let sd: StateDict;
  const format = weightsFormat(bytes);
  if (format === 'pytorch') sd = readPytorch(bytes, file);
  else if (format === 'safetensors') sd = readSafetensors(bytes, file);
  else if (looksLikeLegacyPytorch(bytes)) {
    throw weightsError(
      'WEIGHTS_NOT_STATE_DICT',
      file,
      'this is the legacy PyTorch format (before 1.6); load it in PyTorch and save it again with torch.save(model.state_dict(), path)',
    );
  } else if (format === 'tfjs') {
    throw weightsError('WEIGHTS_NOT_STATE_DICT', file, 'this is a TensorFlow.js model.json, not a state dict (npm run convert turns it into one)');
  } else throw weightsError('WEIGHTS_NOT_STATE_DICT', file, 'neither a .safetensors file nor a PyTorch .pth/.pt (zip) file');
  if (sd.tensors.size === 0) throw weightsError('WEIGHTS_NOT_STATE_DICT', file, 'the file holds no tensors');
  for (const [key, t] of sd.tensors) {
    if (!isCounter(key) && !FLOAT_DTYPES.includes(t.dtype)) {
      throw weightsError('WEIGHTS_DTYPE', file, `${key} is stored as ${t.dtype}; a weight must be a float tensor (F32, F16, BF16 or F64)`, {
        key,
        dtype: t.dtype,
      });
    }
  }
  return sd;
}
