/**
 * What each listed file is under a layout, before any image is read: its class and given split, or
 * its mask and listed boxes, paired by stem (never by listing order), and which files the layout
 * leaves out and why (an image without a mask, a mask without an image, two images with one stem).
 *
 * Pure function of the sorted paths, the layout and the parsed box list: no I/O.
 */
import type { BoxList, ListedBoxes } from './boxList';
import { classFromPrefix, pairKey, splitOfFolder, taskOf } from './layout';
import { basename, comparePaths, relativeTo, stem } from './paths';
import { classNamesAcrossSets } from './sets';
import type { Layout, SplitName } from './types';
import type { SkipCode } from '../core/errors';
import type { Task } from '../core/archs';

export interface AssignedImage {
  /** Index of the image in the sorted listing. */
  image: number;
  className?: string;
  /** The split the folders give. */
  split?: SplitName;
  /** Index of the mask in the sorted listing. */
  mask?: number;
  /** Boxes from a list (used instead of the mask when it has any). */
  listed?: ListedBoxes;
}

export interface Assignment {
  task: Task;
  items: AssignedImage[];
  /** Sorted class names (classification). */
  classNames?: string[];
  /** Files the layout gives to each class, before reading. */
  classFiles?: Map<string, number>;
  givenSplit: boolean;
  /** Files the layout leaves out, by index in the sorted listing. */
  skipped: Map<number, { code: SkipCode; message: string }>;
  /** Masks by index, with the index of their image. */
  maskOf: Map<number, number>;
  notes: string[];
}

/**
 * `paths` sorted by comparePaths; `usable[i]` false for files already ruled out by the listing
 * (certainly not images); `empty[i]` for files of size 0, which still count for a class folder's
 * existence but are not planned.
 */
export function assignFiles(
  paths: readonly string[],
  usable: readonly boolean[],
  empty: readonly boolean[],
  layout: Layout,
  boxList: BoxList | null,
): Assignment {
  const task = taskOf(layout);
  const skipped = new Map<number, { code: SkipCode; message: string }>();
  const assignment: Assignment = { task, items: [], givenSplit: false, skipped, maskOf: new Map(), notes: [] };
  const candidates: number[] = [];
  for (let i = 0; i < paths.length; i++) if (usable[i]) candidates.push(i);

  if (layout.kind === 'class-sets') return assignSets(paths, candidates, empty, layout, assignment);

  if (layout.kind === 'class-folders' || layout.kind === 'class-prefix') {
    assignment.givenSplit = layout.kind === 'class-folders' && layout.givenSplit;
    const classFiles = new Map<string, number>();
    for (const i of candidates) {
      const rel = relativeTo(paths[i], layout.root);
      let className: string | null = null;
      let split: SplitName | undefined;
      if (rel !== null) {
        const segs = rel.split('/');
        if (layout.kind === 'class-folders' && layout.exclude?.includes(segs[0])) {
          skipped.set(i, { code: 'OUTSIDE_LAYOUT', message: `in "${segs[0]}", a copy of the folders beside it, which is left out` });
          continue;
        }
        if (layout.kind === 'class-prefix') className = classFromPrefix(paths[i]);
        else if (!layout.givenSplit) className = segs.length >= 2 ? segs[0] : null;
        else if (segs.length >= 3) {
          split = splitOfFolder(segs[0]) ?? undefined;
          className = split ? segs[1] : null;
        }
      }
      if (className === null) {
        skipped.set(i, {
          code: 'OUTSIDE_LAYOUT',
          message:
            layout.kind === 'class-prefix'
              ? 'its name has no CLASS- prefix, so it has no class'
              : layout.givenSplit
                ? 'not inside a <split>/<class>/ folder, so it has no class'
                : 'not inside a class folder, so it has no class',
        });
        continue;
      }
      classFiles.set(className, (classFiles.get(className) ?? 0) + 1);
      if (!empty[i]) assignment.items.push({ image: i, className, split });
    }
    assignment.classFiles = classFiles;
    assignment.classNames = [...classFiles.keys()].sort(comparePaths);
    return assignment;
  }

  const live = candidates.filter((i) => !empty[i]);
  if (layout.kind === 'mask-pairs') {
    const images = live.filter((i) => relativeTo(paths[i], layout.images) !== null);
    const masks = live.filter((i) => relativeTo(paths[i], layout.masks) !== null);
    const inPair = new Set([...images, ...masks]);
    for (const i of live) {
      if (!inPair.has(i)) skipped.set(i, { code: 'OUTSIDE_LAYOUT', message: `neither in "${layout.images}" nor in "${layout.masks}"` });
    }
    const maskByKey = new Map<string, number>();
    for (const m of masks) {
      const k = pairKey(paths[m], layout.maskSuffix);
      const first = maskByKey.get(k);
      if (first === undefined) maskByKey.set(k, m);
      else skipped.set(m, { code: 'DUPLICATE_STEM', message: `another mask has the same name stem "${k}": ${paths[first]} is used` });
    }
    const imageByKey = new Map<string, number>();
    const lookup = boxList ? listLookup(boxList) : null;
    for (const i of images) {
      const k = pairKey(paths[i], layout.imageSuffix);
      const first = imageByKey.get(k);
      if (first !== undefined) {
        skipped.set(i, { code: 'DUPLICATE_STEM', message: `another image has the same name stem "${k}": ${paths[first]} is used` });
        continue;
      }
      imageByKey.set(k, i);
      const mask = maskByKey.get(k);
      const listed = lookup?.(paths[i], [k]) ?? undefined;
      if (mask === undefined && !(listed && listed.boxes.length > 0)) {
        skipped.set(i, {
          code: 'MASK_MISSING',
          message: `no mask named "${k}${layout.maskSuffix}.*" in "${layout.masks}"` + (boxList ? ' and no boxes in the box file' : ''),
        });
        continue;
      }
      if (mask !== undefined) assignment.maskOf.set(mask, i);
      assignment.items.push({ image: i, mask, listed: listed && listed.boxes.length > 0 ? listed : undefined });
    }
    for (const m of masks) {
      if (skipped.has(m) || assignment.maskOf.has(m)) continue;
      const k = pairKey(paths[m], layout.maskSuffix);
      skipped.set(m, { code: 'MASK_WITHOUT_IMAGE', message: `no image named "${k}${layout.imageSuffix}.*" in "${layout.images}"` });
    }
    return assignment;
  }

  // Box list.
  const images = live.filter((i) => relativeTo(paths[i], layout.root) !== null);
  const underRoot = new Set(images);
  for (const i of live) if (!underRoot.has(i)) skipped.set(i, { code: 'OUTSIDE_LAYOUT', message: `not under "${layout.root}", where the box list is` });
  const byStem = new Map<string, number>();
  const unique: number[] = [];
  for (const i of images) {
    const s = stem(paths[i]);
    const first = byStem.get(s);
    if (first !== undefined) {
      skipped.set(i, { code: 'DUPLICATE_STEM', message: `another image has the same name stem "${s}": ${paths[first]} is used` });
      continue;
    }
    byStem.set(s, i);
    unique.push(i);
  }
  const lookup = boxList ? listLookup(boxList) : () => undefined;
  const used = new Set<string>();
  for (const i of unique) {
    const rel = relativeTo(paths[i], layout.root)!;
    const listed = lookup(paths[i], [rel, stem(paths[i])], used);
    if (!listed || listed.boxes.length === 0) {
      skipped.set(i, {
        code: 'BOX_MISSING',
        message: listed ? `"${layout.list}" has rows for it, but none with a valid box` : `"${layout.list}" has no box for it`,
      });
      continue;
    }
    assignment.items.push({ image: i, listed });
  }
  if (boxList) {
    const orphans = [...boxList.entries.keys()].filter((k) => !used.has(k));
    if (orphans.length > 0) {
      assignment.notes.push(
        `${orphans.length} entr${orphans.length === 1 ? 'y' : 'ies'} of "${layout.list}" name no listed image: ` +
          orphans.slice(0, 10).join(', ') +
          (orphans.length > 10 ? ', ...' : ''),
      );
    }
    assignment.notes.push(...boxList.notes);
  }
  return assignment;
}

/** Set folders: each file's set gives its split, its class folder (set suffix dropped) its class. */
function assignSets(
  paths: readonly string[],
  candidates: readonly number[],
  empty: readonly boolean[],
  layout: Extract<Layout, { kind: 'class-sets' }>,
  assignment: Assignment,
): Assignment {
  const given = layout.sets.some((s) => s.split !== null);
  assignment.givenSplit = given;
  const listed = layout.sets.map((s) => `"${s.folder}"`).join(', ');
  const found: { i: number; set: number; folder: string }[] = [];
  for (const i of candidates) {
    const rel = relativeTo(paths[i], layout.root);
    const set = rel === null ? -1 : layout.sets.findIndex((s) => relativeTo(rel, s.folder) !== null);
    const inner = set >= 0 ? relativeTo(rel!, layout.sets[set].folder)!.split('/') : [];
    if (inner.length < 2) {
      assignment.skipped.set(i, {
        code: 'OUTSIDE_LAYOUT',
        message:
          set < 0
            ? `in none of the set folders this layout reads (${listed}), so it has no class`
            : `directly in the set folder "${layout.sets[set].folder}", not in a class folder, so it has no class`,
      });
      continue;
    }
    found.push({ i, set, folder: inner[0] });
  }
  const name = classNamesAcrossSets(
    layout.sets.map((s) => s.folder.split('/')[0]),
    found,
  );
  const classFiles = new Map<string, number>();
  for (const f of found) {
    const className = name(f.set, f.folder);
    classFiles.set(className, (classFiles.get(className) ?? 0) + 1);
    if (!empty[f.i]) assignment.items.push({ image: f.i, className, split: given ? (layout.sets[f.set].split ?? 'train') : undefined });
  }
  assignment.classFiles = classFiles;
  assignment.classNames = [...classFiles.keys()].sort(comparePaths);
  return assignment;
}

/**
 * Finds a file's entry in a box list, whichever key the list uses: a path (relative to anything),
 * a file name or a stem. `used` collects the keys that matched, to report the rest.
 */
function listLookup(list: BoxList): (path: string, extraKeys: string[], used?: Set<string>) => ListedBoxes | undefined {
  const byName = new Map<string, string>();
  for (const key of list.entries.keys()) {
    const name = basename(key.replace(/\\/g, '/'));
    if (!byName.has(name)) byName.set(name, key);
    const s = stem(name);
    if (!byName.has(s)) byName.set(s, key);
  }
  return (path, extraKeys, used) => {
    for (const k of [path, ...extraKeys, basename(path), stem(path)]) {
      const key = list.entries.has(k) ? k : byName.get(k);
      if (key !== undefined) {
        used?.add(key);
        return list.entries.get(key);
      }
    }
    return undefined;
  };
}
