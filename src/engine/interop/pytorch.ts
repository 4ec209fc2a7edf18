/**
 * PyTorch's `.pth` / `.pt` as `torch.save(model.state_dict(), path)` writes it (PyTorch >= 1.6):
 * a zip holding `<archive>/data.pkl` (the pickled OrderedDict of tensors), one `<archive>/data/<key>`
 * entry per storage, `<archive>/byteorder` and `<archive>/version`. The pickle is read by the
 * restricted unpickler (./pickle.ts), never executed; each tensor is then cut from its storage by
 * offset, size and stride and checked against the storage's length.
 *
 * Also accepted: a checkpoint dict that holds the state dict under `state_dict`, `model_state_dict`,
 * `model` or `net` (its other entries are ignored), and keys prefixed with `module.` (DataParallel).
 *
 * Owns: `readPytorch`, `looksLikeLegacyPytorch`. Must not import TensorFlow.js.
 */
import { PyDict, unpickle, type TensorRef } from './pickle';
import { DTYPE_BYTES, numel, weightsError, type RawTensor, type StateDict } from './stateDict';
import { readZipDirectory } from './zip';

/** The pre-1.6 format (a bare pickle stream with a magic number), which this reader does not take. */
export function looksLikeLegacyPytorch(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x80 && bytes[1] <= 5;
}

const NESTED = ['state_dict', 'model_state_dict', 'model', 'net'];

function isTensor(v: unknown): v is TensorRef {
  return (v as TensorRef | null)?.kind === 'tensor';
}

function asStateDict(top: unknown, file: string): Map<string, TensorRef> {
  if (!(top instanceof PyDict)) {
    throw weightsError('WEIGHTS_NOT_STATE_DICT', file, 'the pickle holds no dict of tensors (save model.state_dict())');
  }
  const values = [...top.values()];
  if (values.length > 0 && values.every(isTensor)) {
    const out = new Map<string, TensorRef>();
    for (const [k, t] of top) out.set(String(k), t as TensorRef);
    return out;
  }
  for (const k of NESTED) {
    const inner = top.get(k);
    if (inner instanceof PyDict && inner.size > 0 && [...inner.values()].every(isTensor)) return asStateDict(inner, file);
  }
  const bad = [...top.entries()].find(([, t]) => !isTensor(t));
  throw weightsError(
    'WEIGHTS_NOT_STATE_DICT',
    file,
    `the pickle holds a dict that is not a state dict (${bad ? `"${String(bad[0])}" is not a tensor` : 'it is empty'}); save model.state_dict()`,
    bad ? { key: String(bad[0]) } : {},
  );
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i + size <= b.length; i += size) b.subarray(i, i + size).reverse();
}

/** The tensor's elements, contiguous, cut from its storage by offset, size and stride. */
function materialise(t: TensorRef, storage: Uint8Array, file: string, key: string, bigEndian: boolean): RawTensor {
  const el = DTYPE_BYTES[t.storage.dtype];
  if (storage.length !== t.storage.numel * el) {
    throw weightsError('WEIGHTS_CORRUPT', file, `the storage of ${key} holds ${storage.length} bytes, not ${t.storage.numel} x ${el}`, { key });
  }
  const n = numel(t.size);
  if (t.size.some((d) => d < 0) || t.stride.some((s) => s < 0) || t.offset < 0) {
    throw weightsError('WEIGHTS_CORRUPT', file, `${key} has a negative size, stride or offset`, { key });
  }
  const extent = n === 0 ? 0 : t.size.reduce((a, d, i) => a + (d - 1) * t.stride[i], 0) + 1;
  if (n > 0 && t.offset + extent > t.storage.numel) {
    throw weightsError('WEIGHTS_CORRUPT', file, `${key} reads past the end of its storage (${t.offset + extent} > ${t.storage.numel} elements)`, { key });
  }
  const contiguous = t.size.every((_, i) => t.stride[i] === t.size.slice(i + 1).reduce((a, d) => a * d, 1) || t.size[i] === 1);
  let data: Uint8Array;
  if (contiguous) data = storage.subarray(t.offset * el, (t.offset + n) * el);
  else {
    data = new Uint8Array(n * el);
    const idx = new Array<number>(t.size.length).fill(0);
    for (let i = 0; i < n; i++) {
      let src = t.offset;
      for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
      data.set(storage.subarray(src * el, (src + 1) * el), i * el);
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < t.size[d]) break;
        idx[d] = 0;
      }
    }
  }
  if (bigEndian && el > 1) {
    data = data.slice();
    swapBytes(data, el);
  }
  return { dtype: t.storage.dtype, shape: t.size.slice(), data };
}

export function readPytorch(bytes: Uint8Array, file: string): StateDict {
  const zip = readZipDirectory(bytes, file);
  const pkl = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    const isScript = [...zip.entries.keys()].some((n) => /\/constants\.pkl$/.test(n));
    throw weightsError(
      'WEIGHTS_NOT_STATE_DICT',
      file,
      isScript
        ? 'this is a TorchScript archive, not a state dict; save the weights with torch.save(model.state_dict(), path)'
        : 'the zip holds no <archive>/data.pkl: it is not a file written by torch.save',
    );
  }
  const root = pkl[0].slice(0, -'data.pkl'.length);
  const order = zip.read(`${root}byteorder`);
  const bigEndian = order !== null && new TextDecoder().decode(order).trim() === 'big';
  const refs = asStateDict(unpickle(zip.read(pkl[0])!, file), file);
  const tensors = new Map<string, RawTensor>();
  const allPrefixed = refs.size > 0 && [...refs.keys()].every((k) => k.startsWith('module.'));
  for (const [k, t] of refs) {
    const key = allPrefixed ? k.slice('module.'.length) : k;
    const storage = zip.read(`${root}data/${t.storage.key}`);
    if (!storage) throw weightsError('WEIGHTS_CORRUPT', file, `the storage of ${key} (data/${t.storage.key}) is missing from the zip`, { key });
    tensors.set(key, materialise(t, storage, file, key, bigEndian));
  }
  return { file, format: 'pytorch', tensors };
}
