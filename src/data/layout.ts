/**
 * Which dataset layout a dropped folder follows, decided from the listing alone (paths, no reads),
 * so that it can be shown to the user, with its evidence and the other layouts that also fit,
 * before anything is decoded, and overridden:
 * - classification by class folder, `ROOT/<class>/*`, or `ROOT/<train|test|val>/<class>/*` with
 *   the split given by the folders (Kaggle's TCGA-COAD MSIMUT/MSS, Kather's CRC_DX_TRAIN/...);
 * - classification by set folders that each hold class folders of their own (`dataset/<class>/`
 *   beside `forTEST/<class>_test/`; Kather's CRC_DX_* and CRC_KR_* cohorts; see sets.ts);
 * - classification by file-name prefix, `ROOT/<CLASS>-<id>.<ext>` (NCT-CRC-HE-100K);
 * - detection from masks: Kvasir-SEG (`images/` + `masks/`, same stems, optional
 *   `kavsir_bboxes.json`), CVC-ClinicDB (`Original/` + `Ground Truth/`; `<n>_fram` + `<n>_mask`);
 * - detection from a CSV or JSON box list beside the images.
 *
 * Pure functions of the paths: no I/O.
 */
import { GROUP_FILE_NAME } from './groups';
import { basename, comparePaths, dirname, extension, isAnnotationPath, joinPath, pathKind, relativeTo, stem } from './paths';
import { classNamesAcrossSets, cohortOf, compareSets, readSets, repeatedFolder, splitOfFolder, type SetFolder } from './sets';
import type { ClassSet, Layout, LayoutDetection } from './types';
import type { Task } from '../core/archs';

export { splitOfFolder } from './sets';

export function taskOf(layout: Layout): Task {
  return layout.kind === 'class-folders' || layout.kind === 'class-sets' || layout.kind === 'class-prefix' ? 'classify' : 'box';
}

const folderKey = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');
const IMAGE_FOLDERS = new Set(['images', 'image', 'imgs', 'img', 'original', 'originals', 'frames', 'frame', 'input', 'inputs', 'rgb']);
const MASK_FOLDERS = new Set(['masks', 'mask', 'groundtruth', 'gt', 'segmentation', 'segmentations', 'labels', 'annotations', 'truth']);
const IMAGE_SUFFIXES = ['', '_fram', '_frame', '_img', '_image', '_rgb'];
const MASK_SUFFIXES = ['', '_mask', '_masks', '_seg', '_gt', '_segmentation', '_label', '_anno'];

/** The stem without `suffix` (matched case-insensitively), the key images and masks pair by. */
export function pairKey(path: string, suffix: string): string {
  const s = stem(path);
  return suffix && s.toLowerCase().endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
}

const PREFIX = /^([A-Za-z][A-Za-z0-9]*)-[^-]/;

/** The class a `<CLASS>-<id>` file name gives, or null. */
export function classFromPrefix(path: string): string | null {
  const m = PREFIX.exec(basename(path));
  return m ? m[1] : null;
}

/** The deepest folder holding every path. */
export function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let common = dirname(paths[0]).split('/');
  for (const p of paths) {
    const segs = dirname(p).split('/');
    let i = 0;
    while (i < common.length && i < segs.length && common[i] === segs[i]) i++;
    common = common.slice(0, i);
    if (common.length === 0) break;
  }
  return common.filter((s) => s !== '').join('/');
}

const where = (folder: string) => (folder === '' ? 'the top folder' : `"${folder}"`);

export function describeLayout(l: Layout): string {
  switch (l.kind) {
    case 'class-folders':
      return l.givenSplit
        ? `Classification: split folders (train/test) under ${where(l.root)}, one folder per class inside each`
        : `Classification: one folder per class under ${where(l.root)}`;
    case 'class-sets': {
      const given = l.sets.some((x) => x.split !== null);
      const names = l.sets.map((x) => `"${x.folder}"${given ? ` (${x.split ?? 'train'})` : ''}`);
      const list = names.length === 1 ? `set folder ${names[0]}` : `set folders ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
      return `Classification: ${list} under ${where(l.root)}, one folder per class inside ${l.sets.length === 1 ? 'it' : 'each'}${
        given ? '' : l.sets.length === 1 ? '; a seeded split' : ', pooled; a seeded split'
      }`;
    }
    case 'class-prefix':
      return `Classification: the class is the file-name prefix (CLASS-id) of the images under ${where(l.root)}`;
    case 'mask-pairs': {
      const name = l.variant === 'kvasir-seg' ? 'Kvasir-SEG' : l.variant === 'cvc-clinicdb' ? 'CVC-ClinicDB' : 'image and mask folders';
      const suffix = l.imageSuffix || l.maskSuffix ? ` (names ending "${l.imageSuffix}" and "${l.maskSuffix}")` : '';
      const boxes = l.boxesFile ? `; boxes from "${l.boxesFile}" where it has them, else from the masks` : '; boxes from the masks';
      return `Detection (${name}): images in "${l.images}" paired by name with masks in "${l.masks}"${suffix}${boxes}`;
    }
    case 'box-list':
      return `Detection: boxes listed in "${l.list}" for the images under ${where(l.root)}`;
  }
}

interface Candidate {
  layout: Layout;
  evidence: string[];
  /** Rank: lower is better. */
  rank: number;
  score: number;
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

function summarise(counts: Map<string, number>, max = 12): string {
  const names = [...counts.keys()].sort(comparePaths);
  const shown = names.slice(0, max).map((n) => `${n} (${counts.get(n)})`);
  return shown.join(', ') + (names.length > max ? `, and ${names.length - max} more` : '');
}

function maskPairCandidates(images: readonly string[], paths: readonly string[]): Candidate[] {
  const byDir = new Map<string, string[]>();
  for (const p of images) {
    const d = dirname(p);
    let list = byDir.get(d);
    if (!list) byDir.set(d, (list = []));
    list.push(p);
  }
  const out: Candidate[] = [];
  const childrenOf = new Map<string, string[]>();
  for (const d of byDir.keys()) {
    if (d === '') continue;
    const parent = dirname(d);
    let c = childrenOf.get(parent);
    if (!c) childrenOf.set(parent, (c = []));
    c.push(d);
  }
  for (const [parent, children] of childrenOf) {
    const imgDirs = children.filter((d) => IMAGE_FOLDERS.has(folderKey(basename(d))));
    const maskDirs = children.filter((d) => MASK_FOLDERS.has(folderKey(basename(d))));
    for (const imgDir of imgDirs) {
      for (const maskDir of maskDirs) {
        const imgs = byDir.get(imgDir)!;
        const masks = byDir.get(maskDir)!;
        let best = { imageSuffix: '', maskSuffix: '', pairs: 0 };
        for (const is of IMAGE_SUFFIXES) {
          const keys = new Set(imgs.map((p) => pairKey(p, is)));
          for (const ms of MASK_SUFFIXES) {
            let pairs = 0;
            const seen = new Set<string>();
            for (const m of masks) {
              const k = pairKey(m, ms);
              if (keys.has(k) && !seen.has(k)) {
                seen.add(k);
                pairs++;
              }
            }
            if (pairs > best.pairs) best = { imageSuffix: is, maskSuffix: ms, pairs };
          }
        }
        if (best.pairs === 0) continue;
        const boxFiles = paths.filter((p) => dirname(p) === parent && isAnnotationPath(p) && /box/i.test(basename(p))).sort(comparePaths);
        const boxesFile = boxFiles.find((p) => extension(p) === 'json') ?? boxFiles[0];
        const ik = folderKey(basename(imgDir));
        const mk = folderKey(basename(maskDir));
        const variant: 'kvasir-seg' | 'cvc-clinicdb' | 'image-mask-folders' =
          (ik === 'original' && mk === 'groundtruth') || best.imageSuffix === '_fram'
            ? 'cvc-clinicdb'
            : ik === 'images' && mk === 'masks' && best.imageSuffix === '' && best.maskSuffix === ''
              ? 'kvasir-seg'
              : 'image-mask-folders';
        const layout: Layout = { kind: 'mask-pairs', variant, images: imgDir, masks: maskDir, imageSuffix: best.imageSuffix, maskSuffix: best.maskSuffix };
        if (boxesFile) layout.boxesFile = boxesFile;
        const evidence = [
          `${imgs.length} image file(s) in "${imgDir}" and ${masks.length} in "${maskDir}": ${best.pairs} pair by name` +
            (best.imageSuffix || best.maskSuffix ? ` ("<name>${best.imageSuffix}" with "<name>${best.maskSuffix}")` : ' (same stem)'),
        ];
        if (boxesFile) evidence.push(`box file "${boxesFile}" beside them: its boxes are used where present, the masks' elsewhere`);
        out.push({ layout, evidence, rank: 0, score: best.pairs });
      }
    }
  }
  return out;
}

function boxListCandidates(images: readonly string[], paths: readonly string[]): Candidate[] {
  const lists = paths.filter(isAnnotationPath);
  if (lists.length === 0) return [];
  // Images under each folder, and whether they all sit in one folder: one pass over the images,
  // so that a folder with one JSON per image (50,000 lists) costs no more than one with a CSV.
  const under = new Map<string, { count: number; dir: string; flat: boolean }>();
  for (const p of images) {
    const d = dirname(p);
    for (let a: string | null = d; a !== null; a = a === '' ? null : dirname(a)) {
      const u = under.get(a);
      if (!u) under.set(a, { count: 1, dir: d, flat: true });
      else {
        u.count++;
        if (u.dir !== d) u.flat = false;
      }
    }
  }
  const out: Candidate[] = [];
  for (const list of lists) {
    const root = dirname(list);
    const u = under.get(root);
    if (!u) continue;
    // A groups file (`*source_groups.csv`, `*frame_sequence.csv`) is read for the split, never as boxes.
    if (GROUP_FILE_NAME.test(basename(list)) && !/box|annot/i.test(basename(list))) continue;
    const named = /box|bbox|annot|label|ground|gt/i.test(basename(list));
    out.push({
      layout: { kind: 'box-list', list, root },
      evidence: [
        `list "${list}" beside ${u.count} image file(s)${u.flat ? ` in one folder (${where(u.dir)})` : ' in several folders'}`,
        'its rows are read as filename, xmin, ymin, xmax, ymax in pixels (several rows for one file: their union)',
      ],
      rank: u.flat ? 1 : 4,
      score: u.count + (named ? 1e6 : 0),
    });
  }
  // Many lists (one per image) are not one box list: offer the best few only.
  return out.sort((a, b) => b.score - a.score).slice(0, 5);
}

function classFolderCandidates(images: readonly string[]): Candidate[] {
  const root = commonFolder(images);
  const all = images.map((p) => relativeTo(p, root)!.split('/'));
  if (all.every((s) => s.length < 2)) {
    // One folder of images inside a dropped folder reads as a single class (so the import can say
    // that a second class is missing); a bare folder of images is no layout at all.
    if (!root.includes('/')) return [];
    const parent = dirname(root);
    return [
      {
        layout: { kind: 'class-folders', root: parent, givenSplit: false },
        evidence: [`a single class folder under ${where(parent)}: ${basename(root)} (${images.length})`],
        rank: 5,
        score: images.length,
      },
    ];
  }
  const repeated = repeatedFolder(all);
  const rels = repeated ? all.filter((s) => s[0] !== repeated.folder) : all;
  const before = repeated
    ? [`"${joinPath(root, repeated.folder)}" repeats the folders beside it (${repeated.same} of its ${repeated.files} image files at the same paths): left out`]
    : [];
  const exclude = repeated ? { exclude: [repeated.folder] } : {};
  const nested = rels.filter((s) => s.length >= 2);
  const level1 = countBy(nested, (s) => s[0]);
  const splits = [...level1.keys()].map(splitOfFolder);
  const atRoot = rels.length - nested.length;
  const sets = readSets(rels);
  const out: Candidate[] = [];

  let split: Candidate | null = null;
  if (splits.every((s) => s !== null) && splits.includes('train')) {
    const deep = nested.filter((s) => s.length >= 3);
    const classes = countBy(deep, (s) => s[1]);
    if (classes.size >= 1) {
      const evidence = [...before, `split folders under ${where(root)}: ${summarise(level1)}`, `class folders inside them: ${summarise(classes)}`];
      if (!splits.includes('test'))
        evidence.push(
          splits.includes('val') ? 'no test folder: the validation folder is used as the test set' : 'no test folder: a seeded test share is taken from train',
        );
      if (atRoot + nested.length - deep.length > 0)
        evidence.push(`${atRoot + nested.length - deep.length} image file(s) outside any class folder are left out`);
      split = { layout: { kind: 'class-folders', root, givenSplit: true, ...exclude }, evidence, rank: 2, score: deep.length };
    }
  }
  const setCandidates = sets ? classSetCandidates(root, sets, before) : [];
  // Plain split folders stay what they were; set folders when the split folders need more
  // (wrapper folders, set suffixes on class names, several cohorts) or are not split folders at all.
  // (The set reading that equals the split folders' is left out of the alternatives, and so are
  // the split folders where set folders read the folder better.)
  if (split && (setCandidates.length === 0 || !needsSets(sets!))) out.push(split, ...setCandidates.slice(1).map((c) => ({ ...c, rank: 2.5 })));
  else if (setCandidates.length > 0) out.push(...setCandidates);
  else if (split) out.push(split);

  // The top folders as the classes: the reading when nothing else fits, and the way back from set folders.
  if (out.length === 0 || (setCandidates.length > 0 && !split)) {
    const evidence = [...before, `class folders under ${where(root)}: ${summarise(level1)}`];
    if (atRoot > 0) evidence.push(`${atRoot} image file(s) directly in ${where(root)} belong to no class and are left out`);
    out.push({ layout: { kind: 'class-folders', root, givenSplit: false, ...exclude }, evidence, rank: out.length > 0 ? 2.7 : 2, score: nested.length });
  }
  return out;
}

/** Whether plain split folders would misread these sets: wrapper folders, set suffixes on class folders, or several cohorts. */
function needsSets(sets: readonly SetFolder[]): boolean {
  if (sets.some((s) => s.folder !== s.name)) return true;
  const name = classNamesAcrossSets(
    sets.map((s) => s.name),
    sets.flatMap((s, k) => [...s.classes.keys()].map((folder) => ({ set: k, folder }))),
  );
  if (sets.some((s, k) => [...s.classes.keys()].some((c) => name(k, c) !== c))) return true;
  return cohortsWithTrain(sets).length >= 2;
}

/** Named sets grouped by cohort (`CRC_DX`, `CRC_KR`), only the cohorts that have a train set. */
function cohortsWithTrain(sets: readonly SetFolder[]): { cohort: string; sets: SetFolder[] }[] {
  const byCohort = new Map<string, { cohort: string; sets: SetFolder[] }>();
  for (const s of sets) {
    if (splitOfFolder(s.name) === null) continue;
    const cohort = cohortOf(s.name);
    const key = cohort.toLowerCase();
    const c = byCohort.get(key) ?? { cohort, sets: [] };
    c.sets.push(s);
    byCohort.set(key, c);
  }
  return [...byCohort.values()].filter((c) => c.sets.some((s) => splitOfFolder(s.name) === 'train')).sort((a, b) => comparePaths(a.cohort, b.cohort));
}

/** The set-folder readings of `sets`: the one to use first, then the others a person may want. */
function classSetCandidates(root: string, sets: readonly SetFolder[], before: string[]): Candidate[] {
  const read = (chosen: readonly SetFolder[], pooled: boolean, why: string[] = []): Candidate => {
    const named = chosen.some((s) => splitOfFolder(s.name) !== null) && !pooled;
    const layoutSets = chosen
      .map((s) => ({ set: s, split: named ? (splitOfFolder(s.name) ?? 'train') : null }))
      .sort((a, b) => compareSets({ folder: a.set.folder, split: a.split }, { folder: b.set.folder, split: b.split }));
    const ordered = layoutSets.map((x) => x.set);
    const name = classNamesAcrossSets(
      ordered.map((s) => s.name),
      ordered.flatMap((s, k) => [...s.classes.keys()].map((folder) => ({ set: k, folder }))),
    );
    const perClass = new Map<string, string[]>();
    const renamed: string[] = [];
    ordered.forEach((s, k) => {
      for (const [folder, n] of [...s.classes].sort((a, b) => comparePaths(a[0], b[0]))) {
        const c = name(k, folder);
        perClass.set(c, [...(perClass.get(c) ?? []), `${s.name} ${n}`]);
        if (c !== folder) renamed.push(`"${s.folder}/${folder}" is ${c}`);
      }
    });
    const evidence = [
      ...before,
      ...why,
      `set folders under ${where(root)}, each with class folders of its own: ${layoutSets
        .map((x) => `"${x.set.folder}" (${x.split ?? 'no split'}, ${x.set.files} image files)`)
        .join(', ')}`,
    ];
    for (const x of layoutSets) if (named && splitOfFolder(x.set.name) === null) evidence.push(`"${x.set.folder}" names no split: it is used for training`);
    evidence.push(
      `classes matched across the sets: ${[...perClass]
        .sort((a, b) => comparePaths(a[0], b[0]))
        .map(([c, where]) => `${c} (${where.join(', ')})`)
        .join('; ')}`,
    );
    if (renamed.length > 0)
      evidence.push(`set suffixes dropped from class folder names: ${renamed.slice(0, 8).join(', ')}${renamed.length > 8 ? ', ...' : ''}`);
    const lonely = [...perClass]
      .filter(([, w]) => w.length < ordered.length && ordered.length > 1)
      .map(([c, w]) => `${c} (only in ${w.map((x) => x.split(' ')[0]).join(', ')})`);
    if (lonely.length > 0) evidence.push(`not in every set: ${lonely.join(', ')}`);
    if (!named)
      evidence.push(
        ordered.length > 1
          ? 'no set names a split: the sets are pooled and a seeded, stratified test share is taken'
          : 'a seeded, stratified test share is taken',
      );
    else if (!layoutSets.some((x) => x.split === 'test'))
      evidence.push(
        layoutSets.some((x) => x.split === 'val')
          ? 'no test set: the validation set is used as the test set'
          : 'no test set: a seeded test share is taken from train',
      );
    const direct = ordered.reduce((a, s) => a + s.direct, 0);
    if (direct > 0) evidence.push(`${direct} image file(s) directly in a set folder, in no class folder, are left out`);
    const layout: Layout = { kind: 'class-sets', root, sets: layoutSets.map((x): ClassSet => ({ folder: x.set.folder, split: x.split })) };
    return { layout, evidence, rank: 2, score: ordered.reduce((a, s) => a + s.files - s.direct, 0) };
  };

  const cohorts = cohortsWithTrain(sets);
  const out: Candidate[] = [];
  if (cohorts.length >= 2) {
    const list = cohorts.map((c) => `${c.cohort} (${c.sets.map((s) => s.name).join(', ')})`).join(', ');
    const [first, ...others] = cohorts;
    out.push(
      read(first.sets, false, [
        `${cohorts.length} cohorts, each with its own train set: ${list}; ${first.cohort} is read (choose another, or all of them pooled by split)`,
      ]),
    );
    for (const c of others) out.push({ ...read(c.sets, false, [`the cohort ${c.cohort} of ${list}`]), rank: 2.5 });
    out.push({ ...read(sets, false, [`every cohort of ${list}, pooled by split`]), rank: 2.55 });
  } else {
    out.push(read(sets, false));
    if (sets.some((s) => splitOfFolder(s.name) !== null)) out.push({ ...read(sets, true), rank: 2.5 });
    if (sets.length <= 4) for (const s of sets) out.push({ ...read([s], true, [`only the set "${s.folder}"`]), rank: 2.6 });
  }
  return out;
}

function classPrefixCandidate(images: readonly string[]): Candidate | null {
  const classes = countBy(
    images.filter((p) => classFromPrefix(p) !== null),
    (p) => classFromPrefix(p)!,
  );
  const matched = [...classes.values()].reduce((a, b) => a + b, 0);
  if (classes.size < 2 || matched < 0.9 * images.length) return null;
  // Unique prefixes on a large folder are identifiers, not classes.
  if (classes.size === matched && matched > 20) return null;
  const root = commonFolder(images);
  const evidence = [`${matched} of ${images.length} image names start with a class prefix (CLASS-id): ${summarise(classes)}`];
  return { layout: { kind: 'class-prefix', root }, evidence, rank: 3, score: matched };
}

/** Detect the layout from the listing's paths. */
export function detectLayout(paths: readonly string[]): LayoutDetection {
  const sorted = [...paths].sort(comparePaths);
  const images = sorted.filter((p) => pathKind(p) === 'image');
  if (images.length === 0) {
    return { layout: null, evidence: [`none of the ${paths.length} file(s) has an image extension (jpg, png, bmp, gif, webp, tif)`], alternatives: [] };
  }
  const candidates: Candidate[] = [];
  const pairs = maskPairCandidates(images, sorted);
  candidates.push(...pairs);
  candidates.push(...boxListCandidates(images, sorted));
  // Image and mask folders are not classes.
  const pairParents = new Set(pairs.map((c) => (c.layout.kind === 'mask-pairs' ? dirname(c.layout.images) : '')));
  for (const c of classFolderCandidates(images)) {
    if (!((c.layout.kind === 'class-folders' || c.layout.kind === 'class-sets') && pairParents.has(c.layout.root))) candidates.push(c);
  }
  const prefix = classPrefixCandidate(images);
  if (prefix) candidates.push(prefix);
  candidates.sort((a, b) => a.rank - b.rank || b.score - a.score);
  if (candidates.length === 0) {
    return {
      layout: null,
      evidence: [
        `${images.length} image file(s) in ${where(commonFolder(images))}, but no class folders, no CLASS-id names, no image/mask folders and no box list beside them`,
      ],
      alternatives: [],
    };
  }
  const [best, ...rest] = candidates;
  return { layout: best.layout, evidence: best.evidence, alternatives: rest.map((c) => c.layout) };
}
