/**
 * Test fixtures: a `.pth` as `torch.save(state_dict)` writes it (a stored zip of `archive/data.pkl`,
 * `archive/data/<n>`, `archive/version`, `archive/byteorder`), with the pickle written opcode by
 * opcode the way torch's pickler does (protocol 2, an OrderedDict of `_rebuild_tensor_v2` calls on
 * persistent storages), and hostile variants of it. Generated in code, so the reader's tests need no
 * PyTorch.
 */
import { zipSync } from 'fflate';

export class PickleBytes {
  private out: number[] = [];
  op(...b: number[]): this {
    this.out.push(...b);
    return this;
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b);
  }
  int(v: number): this {
    if (v < 256) return this.op(0x4b, v);
    return this.op(0x4a, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface FixtureTensor {
  key: string;
  shape: number[];
  /** Float32 values, or the storage class and raw bytes for other dtypes. */
  values?: Float32Array;
  storage?: { type: string; bytes: Uint8Array; numel: number };
}

/** The data.pkl of a state dict of `tensors`, storage i holding tensor i. */
export function stateDictPickle(tensors: FixtureTensor[]): Uint8Array {
  const p = new PickleBytes().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52).mark();
  tensors.forEach((t, i) => {
    const numel = t.storage?.numel ?? t.values!.length;
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, x) => a * x, 1));
    p.str(t.key).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark()
      .str('storage')
      .global('torch', t.storage?.type ?? 'FloatStorage')
      .str(String(i))
      .str('cpu')
      .int(numel)
      .tuple()
      .op(0x51);
    p.int(0).mark();
    for (const d of t.shape) p.int(d);
    p.tuple().mark();
    for (const s of stride) p.int(s);
    p.tuple().op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52).tuple().op(0x52);
  });
  return p.op(0x75, 0x2e).bytes();
}

/** A zip laid out as torch.save's, around a given data.pkl and storages. */
export function pthZip(pickle: Uint8Array, storages: Uint8Array[], archive = 'archive'): Uint8Array {
  const files: Record<string, Uint8Array> = { [`${archive}/data.pkl`]: pickle };
  storages.forEach((s, i) => (files[`${archive}/data/${i}`] = s));
  files[`${archive}/version`] = new TextEncoder().encode('3\n');
  files[`${archive}/byteorder`] = new TextEncoder().encode('little');
  return zipSync(files, { level: 0 });
}

/** A `.pth` of float32 tensors. */
export function writePth(tensors: FixtureTensor[]): Uint8Array {
  return pthZip(
    stateDictPickle(tensors),
    tensors.map((t) => t.storage?.bytes ?? new Uint8Array(t.values!.buffer.slice(0))),
  );
}
