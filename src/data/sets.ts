/**
 * Set folders, read from the paths alone: a download whose top folders each hold class folders of
 * their own (`dataset/<class>/` beside `forTEST/<class>_test/`; Kather's `CRC_DX_TRAIN/MSIMUT/`
 * beside `CRC_DX_TEST/MSIMUT/` and `CRC_KR_*`; Kaggle's `train/`, `val/`, `test/`). Owns: the split
 * a folder name gives, the cohort it belongs to (`CRC_DX`, `CRC_KR`), class names matched across
 * sets after dropping a set suffix (`colon_aca_test` is `colon_aca`), wrapper folders
 * (`train/train/<class>`), and a top folder that repeats the folders beside it (Kaggle's
 * `chest_xray/chest_xray/`).
 *
 * Pure functions of path segments: no I/O. Imports only `paths.ts` and `types.ts` (layout.ts and
 * assign.ts build on it).
 */
import { comparePaths } from './paths';
import type { SplitName } from './types';

const TRAIN = new Set(['train', 'training', 'trn', 'trainset']);
const TEST = new Set(['test', 'testing', 'tst', 'testset']);
const VAL = new Set(['val', 'valid', 'validation', 'dev', 'valset']);

/** A folder name's words: separators and case changes split it ('forTEST' -> for, test; 'CRC_DX_TRAIN' -> crc, dx, train). */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[_\-\s.]+/)
    .filter((w) => w !== '');
}

/** The split one word names ('train2017' is train), or null. */
function splitOfWord(word: string): SplitName | null {
  const w = word.replace(/\d+$/, '');
  return TRAIN.has(w) ? 'train' : TEST.has(w) ? 'test' : VAL.has(w) ? 'val' : null;
}

/** The split a folder name stands for ('Train', 'CRC_DX_TEST', 'forTEST', 'validation'...), or null. */
export function splitOfFolder(name: string): SplitName | null {
  const found = words(name).map(splitOfWord);
  for (const s of ['train', 'test', 'val'] as const) if (found.includes(s)) return s;
  return null;
}

/** A set folder's name without its split word: the cohort it belongs to ('CRC_DX_TRAIN' -> 'CRC_DX'; 'train' -> ''). */
export function cohortOf(name: string): string {
  const parts = name.split(/([_\-\s.]+)/);
  const kept: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (parts[i] !== '' && splitOfFolder(parts[i]) === null) kept.push(parts[i]);
  }
  return kept.join('_');
}

/**
 * A class folder's name as it is matched across sets: without the set's name in front
 * ('CRC_DX_TRAIN_MSIMUT' in 'CRC_DX_TRAIN') and without a split word at either end
 * ('colon_aca_test', 'test-MSS').
 */
export function classNameInSet(name: string, set: string): string {
  let n = name;
  const lower = n.toLowerCase();
  if (set && lower.startsWith(set.toLowerCase()) && /^[_\-\s.]/.test(n.slice(set.length)) && n.length > set.length + 1) {
    n = n.slice(set.length).replace(/^[_\-\s.]+/, '');
  }
  const tail = /^(.*[^_\-\s.])[_\-\s.]+([A-Za-z]+\d*)$/.exec(n);
  if (tail && splitOfWord(tail[2].toLowerCase()) !== null) return tail[1];
  const head = /^([A-Za-z]+\d*)[_\-\s.]+(.+)$/.exec(n);
  if (head && splitOfWord(head[1].toLowerCase()) !== null) return head[2];
  return n;
}

/** One top folder read as a set: where its class folders are, and what they hold. */
export interface SetFolder {
  /** The top folder's name. */
  name: string;
  /** Where its class folders sit, relative to the root: the name, or deeper through wrapper folders ('train/train'). */
  folder: string;
  /** Image files per class folder (the folder's own name). */
  classes: Map<string, number>;
  /** Image files directly in `folder`, in no class folder. */
  direct: number;
  files: number;
}

/**
 * Every top folder of `rels` (path segments below the root) read as a set, when every one of them
 * holds class folders of its own, at least half of their images are inside those, and the class names (set
 * suffixes dropped) are shared between sets; otherwise null. At least two top folders.
 */
export function readSets(rels: readonly string[][]): SetFolder[] | null {
  const byTop = new Map<string, string[][]>();
  for (const s of rels) {
    if (s.length < 2) continue;
    let list = byTop.get(s[0]);
    if (!list) byTop.set(s[0], (list = []));
    list.push(s);
  }
  if (byTop.size < 2) return null;
  const sets: SetFolder[] = [];
  for (const name of [...byTop.keys()].sort(comparePaths)) {
    const files = byTop.get(name)!;
    // Wrapper folders (`train/train/<class>`): the only subfolder, holding no image itself, named
    // as the set or as a split (a lone class folder with patient folders inside is not one).
    let depth = 1;
    for (;;) {
      const next = new Set(files.map((s) => s[depth]));
      if (next.size !== 1 || files.some((s) => s.length < depth + 3)) break;
      const only = files[0][depth];
      if (only.toLowerCase() !== name.toLowerCase() && splitOfFolder(only) === null) break;
      depth++;
    }
    const classes = new Map<string, number>();
    let direct = 0;
    for (const s of files) {
      if (s.length === depth + 1) direct++;
      else classes.set(s[depth], (classes.get(s[depth]) ?? 0) + 1);
    }
    if (classes.size === 0 || direct * 2 > files.length) return null;
    sets.push({ name, folder: files[0].slice(0, depth).join('/'), classes, direct, files: files.length });
  }
  const inSets = new Map<string, number>();
  for (const set of sets) {
    for (const key of new Set([...set.classes.keys()].map((c) => classNameInSet(c, set.name).toLowerCase()))) inSets.set(key, (inSets.get(key) ?? 0) + 1);
  }
  const shared = [...inSets.values()].filter((n) => n >= 2).length;
  // Folders per patient or per slide inside class folders are not shared between the classes.
  if (inSets.size < 2 || shared === 0 || shared * 2 < inSets.size) return null;
  return sets;
}

/**
 * A top folder that repeats the folders beside it (an archive unpacked into a folder of its own
 * name, Kaggle's `chest_xray/chest_xray/`): at least 90 % of its files sit at the same paths
 * beside it, and it holds at least half as many files as the rest.
 */
export function repeatedFolder(rels: readonly string[][]): { folder: string; same: number; files: number } | null {
  const perTop = new Map<string, number>();
  for (const s of rels) if (s.length >= 2) perTop.set(s[0], (perTop.get(s[0]) ?? 0) + 1);
  if (perTop.size < 2) return null;
  let all: Set<string> | null = null;
  let best: { folder: string; same: number; files: number } | null = null;
  for (const [top, n] of perTop) {
    // Only a top folder with a third of the files or more can repeat the rest: one or two of them.
    if (n < 2 || n * 2 < rels.length - n) continue;
    all ??= new Set(rels.map((s) => s.join('/')));
    let same = 0;
    for (const s of rels) {
      if (s[0] !== top || s.length < 2) continue;
      const inner = s.slice(1).join('/');
      if (!inner.startsWith(`${top}/`) && all.has(inner)) same++;
    }
    if (same >= 0.9 * n && (!best || same > best.same)) best = { folder: top, same, files: n };
  }
  return best;
}

/**
 * The class each (set, class folder) pair stands for: class folders are matched across sets
 * case-insensitively without a set suffix, and spelled as in the first set that has them (sets in
 * the layout's order: train, val, test, then the rest).
 */
export function classNamesAcrossSets(setNames: readonly string[], pairs: Iterable<{ set: number; folder: string }>): (set: number, folder: string) => string {
  const distinct = new Map<string, { set: number; folder: string }>();
  for (const p of pairs) distinct.set(`${p.set}/${p.folder}`, p);
  const ordered = [...distinct.values()].sort((a, b) => a.set - b.set || comparePaths(a.folder, b.folder));
  const display = new Map<string, string>();
  const of = new Map<string, string>();
  for (const p of ordered) {
    const name = classNameInSet(p.folder, setNames[p.set]);
    const key = name.toLowerCase();
    if (!display.has(key)) display.set(key, name);
    of.set(`${p.set}/${p.folder}`, display.get(key)!);
  }
  return (set, folder) => of.get(`${set}/${folder}`) ?? classNameInSet(folder, setNames[set]);
}

const SPLIT_ORDER: Record<SplitName, number> = { train: 0, val: 1, test: 2 };

/** Sets in the order a layout lists them: train, val, test, then sets that give no split; by name within. */
export function compareSets(a: { folder: string; split: SplitName | null }, b: { folder: string; split: SplitName | null }): number {
  const o = (s: SplitName | null) => (s === null ? 3 : SPLIT_ORDER[s]);
  return o(a.split) - o(b.split) || comparePaths(a.folder, b.folder);
}
