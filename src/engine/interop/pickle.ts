/**
 * A restricted unpickler for the `data.pkl` of a PyTorch state dict. It interprets pickle's opcodes
 * (protocols 0-5) as data and never executes anything: the only globals it accepts are the few a
 * state dict is made of, each mapped to a plain JavaScript value here:
 *
 * - `collections.OrderedDict` (the state dict itself, its `_metadata`, a tensor's backward hooks);
 * - `torch._utils._rebuild_tensor_v2` and `torch._utils._rebuild_parameter` (a tensor: its storage,
 *   offset, size and stride), left as a `TensorRef` for the caller to resolve;
 * - the typed storage classes (`torch.FloatStorage`, `torch.LongStorage`, ...), which only name a
 *   dtype inside a persistent id ('storage', <class>, <key>, <location>, <numel>).
 *
 * Any other global (`os.system`, `builtins.eval`, a pickled `torchvision.models.resnet.ResNet`,
 * TorchScript's `__torch__` classes) gives WEIGHTS_PICKLE_REFUSED naming it, and so do the opcodes
 * that would call something not listed (the extension registry, INST/OBJ of another class).
 * Python's own `pickle` would import and call whatever the file names, which is why a `.pth` from
 * a stranger must never reach it; no npm pickle reader restricts globals the way this needs.
 *
 * Owns: `unpickleStateDict`, `TensorRef`. Must not import TensorFlow.js.
 */
import { weightsError, type DType } from './stateDict';

/** A tensor as the pickle describes it; the bytes live in the archive's `data/<key>` entry. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

export interface StorageRef {
  kind: 'storage';
  dtype: DType;
  key: string;
  numel: number;
}

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** A global the unpickler accepts, as a tagged value. */
type Global = { kind: 'global'; name: 'OrderedDict' | 'rebuild_tensor' | 'rebuild_parameter' } | { kind: 'storage-type'; dtype: DType; name: string };

/** Python's dict as a Map (keys are strings or numbers in a state dict); attributes set by BUILD. */
export class PyDict extends Map<unknown, unknown> {
  attributes: unknown = null;
}

function allowed(module: string, name: string): Global | null {
  if (module === 'collections' && name === 'OrderedDict') return { kind: 'global', name: 'OrderedDict' };
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return { kind: 'global', name: 'rebuild_tensor' };
  if (module === 'torch._utils' && name === '_rebuild_parameter') return { kind: 'global', name: 'rebuild_parameter' };
  if (module === 'torch' && STORAGE_DTYPES[name]) return { kind: 'storage-type', dtype: STORAGE_DTYPES[name], name };
  return null;
}

function refusal(file: string, module: string, name: string): Error {
  const global = `${module}.${name}`;
  const why =
    module.startsWith('torchvision') || module.startsWith('torch.nn') || module.startsWith('__main__')
      ? ': this looks like a whole pickled model; save its weights with torch.save(model.state_dict(), path) instead'
      : module.startsWith('__torch__')
        ? ': this is a TorchScript archive; save the weights with torch.save(model.state_dict(), path) instead'
        : '';
  return weightsError('WEIGHTS_PICKLE_REFUSED', file, `the pickle asks for ${global}, which a state dict never needs; it was not run${why}`, { global });
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Interpret `bytes` (a `data.pkl`) and return its top-level value: nested PyDicts, arrays (tuples
 * and lists), strings, numbers, booleans, null and TensorRefs.
 */
export function unpickle(bytes: Uint8Array, file: string): unknown {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  let p = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const corrupt = (what: string) => weightsError('WEIGHTS_CORRUPT', file, `data.pkl is damaged: ${what}`);
  const need = (n: number) => {
    if (p + n > bytes.length) throw corrupt('it ends in the middle of an instruction (truncated?)');
  };
  const u8 = () => (need(1), bytes[p++]);
  const u16 = () => (need(2), (p += 2), v.getUint16(p - 2, true));
  const i32 = () => (need(4), (p += 4), v.getInt32(p - 4, true));
  const u32 = () => (need(4), (p += 4), v.getUint32(p - 4, true));
  const u64 = () => {
    need(8);
    const lo = v.getUint32(p, true);
    const hi = v.getUint32(p + 4, true);
    p += 8;
    if (hi > 0x1fffff) throw corrupt('a length beyond 2^53');
    return hi * 2 ** 32 + lo;
  };
  const take = (n: number) => {
    need(n);
    p += n;
    return bytes.subarray(p - n, p);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw corrupt('an unterminated text argument');
    const s = text.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw corrupt('it pops an empty stack');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw corrupt('it reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw corrupt('a missing MARK');
    const items = stack.splice(m);
    return items;
  };
  const signedLE = (b: Uint8Array): number => {
    if (b.length === 0) return 0;
    let x = 0n;
    for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) x -= 1n << BigInt(8 * b.length);
    return Number(x);
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (!(d instanceof PyDict)) throw corrupt('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const appendItems = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) throw corrupt('APPEND on something that is not a list');
    l.push(...items);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!Array.isArray(args)) throw corrupt('REDUCE with arguments that are not a tuple');
    const g = fn as Global;
    if (g?.kind === 'global' && g.name === 'OrderedDict') {
      const d = new PyDict();
      if (args.length === 1 && Array.isArray(args[0])) for (const kv of args[0] as unknown[][]) d.set(kv[0], kv[1]);
      return d;
    }
    if (g?.kind === 'global' && g.name === 'rebuild_tensor') {
      const [storage, offset, size, stride] = args as [StorageRef, unknown, unknown, unknown];
      if (
        (storage as StorageRef | undefined)?.kind !== 'storage' ||
        !isInt(offset) ||
        !Array.isArray(size) ||
        !Array.isArray(stride) ||
        !size.every(isInt) ||
        !stride.every(isInt) ||
        size.length !== stride.length
      ) {
        throw corrupt('a tensor rebuilt from arguments that are not (storage, offset, size, stride)');
      }
      const t: TensorRef = { kind: 'tensor', storage, offset, size: size as number[], stride: stride as number[] };
      return t;
    }
    if (g?.kind === 'global' && g.name === 'rebuild_parameter') {
      if ((args[0] as TensorRef | undefined)?.kind !== 'tensor') throw corrupt('a parameter rebuilt from something that is not a tensor');
      return args[0];
    }
    throw corrupt('a call of something that is not callable');
  };
  const persistent = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw corrupt('a persistent id that is not a storage');
    const type = pid[1] as Global;
    if (type?.kind !== 'storage-type') throw corrupt('a storage of no known type');
    const key = String(pid[2]);
    if (!isInt(pid[4]) || pid[4] < 0) throw corrupt(`storage ${key} has no element count`);
    return { kind: 'storage', dtype: type.dtype, key, numel: pid[4] };
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(signedLE(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(signedLE(take(u32())));
        break;
      case 0x49: {
        // INT (text)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(Number.parseInt(line().replace(/L$/, ''), 10));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(v.getFloat64(p, false));
        p += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(text.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text.decode(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(line());
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(text.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(text.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number.parseInt(line(), 10), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68:
      case 0x6a:
      case 0x67: {
        // BINGET, LONG_BINGET, GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number.parseInt(line(), 10);
        if (!memo.has(k)) throw corrupt(`memo entry ${k} is read before it is written`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        // GLOBAL module\nname\n
        const module = line();
        const name = line();
        const g = allowed(module, name);
        if (!g) throw refusal(file, module, name);
        stack.push(g);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('STACK_GLOBAL without two strings');
        const g = allowed(module, name);
        if (!g) throw refusal(file, module, name);
        stack.push(g);
        break;
      }
      case 0x69: {
        // INST module\nname\n: calls the class; only an OrderedDict is accepted.
        const module = line();
        const name = line();
        const g = allowed(module, name);
        if (g?.kind !== 'global' || g.name !== 'OrderedDict') throw refusal(file, module, name);
        stack.push(call(g, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        const cls = items.shift() as Global;
        if (cls?.kind !== 'global' || cls.name !== 'OrderedDict') throw corrupt('OBJ of a class other than OrderedDict');
        stack.push(call(cls, items));
        break;
      }
      case 0x81: {
        // NEWOBJ cls args
        const args = pop();
        const cls = pop() as Global;
        if (cls?.kind !== 'global' || cls.name !== 'OrderedDict') throw corrupt('NEWOBJ of a class other than OrderedDict');
        stack.push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX cls args kwargs
        pop();
        const args = pop();
        const cls = pop() as Global;
        if (cls?.kind !== 'global' || cls.name !== 'OrderedDict') throw corrupt('NEWOBJ_EX of a class other than OrderedDict');
        stack.push(call(cls, args));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x62: {
        // BUILD: set state on the object below; only dicts take state here (OrderedDict's _metadata).
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) obj.attributes = state;
        else if ((obj as TensorRef | null)?.kind !== 'tensor') throw corrupt('BUILD on an object that takes no state');
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x50: // PERSID (text)
        throw corrupt('a text persistent id (not written by torch.save)');
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS (to a set, kept as a list)
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x82:
      case 0x83:
      case 0x84: // EXT1, EXT2, EXT4: the copyreg extension registry names globals by number.
        throw weightsError('WEIGHTS_PICKLE_REFUSED', file, 'the pickle names a global through the extension registry; it was not run', {
          global: 'copyreg extension',
        });
      default:
        throw corrupt(`unknown opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}
