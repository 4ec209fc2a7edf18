/**
 * Dataset import: from a dropped folder's files to the `Samples` the trainer consumes, its split,
 * and a report of every file. Built for folders of 50,000+ files: every file is classified from
 * its path first (no reads), the seeded class-stratified subset is drawn from those paths, and
 * only the chosen files are read, sniffed, decoded and shrunk straight to the input size as 8-bit
 * RGB (never kept at full size, never as floats). A chosen file that turns out unusable is
 * replaced by the next one of its class from the same seeded pool, so the subset keeps its size
 * and balance where the folder allows.
 *
 * Partial failure is data: skipped files, warnings and blocking problems are returned, never
 * thrown; only cancellation throws (DataError CANCELLED). Invalid options (a programming error,
 * not a data problem) throw a RangeError.
 *
 * No DOM, no Node: runs in the studio worker with the browser decoder, and in Node with
 * decode-node.ts. Depends on the engine only for the `Samples` type and the seeded Rng.
 */
import type { Samples } from '../core/samples';
import { parseBoxList, type BoxList, type ListedBoxes } from './boxList';
import { applyOrientation, orientBox, swapsAxes, type Orientation } from './exif';
import { describeLayout, detectLayout } from './layout';
import { maskToBox, pixelBoxToBox, unionBoxes } from './maskBoxes';
import { DEFAULT_MAX_PIXELS, isSkip, loadImage, type Skip } from './load';
import { comparePaths, pathKind } from './paths';
import { assignFiles, type Assignment, type AssignedImage } from './assign';
import { placeBox, resizeInto } from './resize';
import {
  groupedSplit,
  randomSplit,
  seededPool,
  splitGroupStats,
  stratifiedSplit,
  subsetQuotas,
  takeValidation,
  type SplitIndices,
  type TooFewGroups,
} from './split';
import { findGroups, GROUP_FILE_NAME, type GroupsFound } from './groups';
import { DataError, isDataError, type BlockingCode } from '../core/errors';
import type {
  Box,
  ClassSummary,
  GroupReport,
  FileWarning,
  ImageDecoder,
  ImportOptions,
  ImportReport,
  ImportResult,
  InputFile,
  Layout,
  RawImage,
  ReportFile,
  SplitName,
} from './types';

export { DEFAULT_MAX_PIXELS };
export const DEFAULT_TEST_SHARE = 0.2;
export const DEFAULT_MAX_BYTES = 2 ** 31;
const DEFAULT_CONCURRENCY = 4;

function checkOptions(o: ImportOptions): void {
  const bad = (field: string, v: unknown, want: string) => {
    throw new RangeError(`importDataset: ${field} must be ${want}, got ${String(v)}`);
  };
  if (!Number.isInteger(o.inputSize) || o.inputSize < 1) bad('inputSize', o.inputSize, 'a positive integer');
  if (o.subset !== undefined && (!Number.isInteger(o.subset) || o.subset < 1)) bad('subset', o.subset, 'a positive integer');
  if (o.testShare !== undefined && !(o.testShare > 0 && o.testShare < 1)) bad('testShare', o.testShare, 'in (0, 1)');
  if (o.valShare !== undefined && !(o.valShare >= 0 && o.valShare < 1)) bad('valShare', o.valShare, 'in [0, 1)');
  if (o.maxPixels !== undefined && !(o.maxPixels > 0)) bad('maxPixels', o.maxPixels, 'positive');
  if (o.maxBytes !== undefined && !(o.maxBytes > 0)) bad('maxBytes', o.maxBytes, 'positive');
  if (o.seed !== undefined && !Number.isInteger(o.seed)) bad('seed', o.seed, 'an integer');
  if (o.resize !== undefined && o.resize !== 'stretch' && o.resize !== 'pad') bad('resize', o.resize, "'stretch' or 'pad'");
  if (o.groups !== undefined && !['none', 'auto', 'csv'].includes(o.groups.kind)) bad('groups', o.groups.kind, "'none', 'auto' or 'csv'");
  if (o.splitBy !== undefined && o.splitBy !== 'group' && o.splitBy !== 'image') bad('splitBy', o.splitBy, "'group' or 'image'");
}

/** Groups CSVs read automatically: at most this many files, each at most this large. */
const MAX_GROUP_CSVS = 5;
const MAX_GROUP_CSV_BYTES = 32 * 2 ** 20;

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DataError('CANCELLED', 'The import was cancelled');
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** Listed boxes (drawn on the stored pixels) as one normalised box on the oriented image. */
function listedBox(listed: ListedBoxes, raw: RawImage, o: Orientation): Box | null {
  const u = unionBoxes(listed.boxes)!;
  let w = raw.width;
  let h = raw.height;
  let alreadyOriented = false;
  if (listed.width && listed.height) {
    // Lists that give the image size were drawn on that size; a swapped size means on the turned image.
    alreadyOriented = swapsAxes(o) && listed.width === raw.height && listed.height === raw.width && raw.width !== raw.height;
    w = listed.width;
    h = listed.height;
  }
  const box = pixelBoxToBox(u, w, h);
  if (box[2] <= 0 || box[3] <= 0) return null;
  return alreadyOriented ? box : orientBox(box, o);
}

interface ItemOk {
  ok: true;
  rgb: Uint8Array;
  box?: Box;
  merged: number;
  warnings: FileWarning[];
  maskWarnings?: FileWarning[];
}
interface ItemFail {
  ok: false;
  image: Skip;
  /** The mask's own status when it was read. */
  mask?: Skip | 'unused';
}

async function loadItem(
  item: AssignedImage,
  files: readonly InputFile[],
  decoder: ImageDecoder,
  o: { size: number; resize: 'stretch' | 'pad'; maxPixels: number; task: 'classify' | 'box' },
): Promise<ItemOk | ItemFail> {
  const img = await loadImage(files[item.image], decoder, o.maxPixels);
  if (isSkip(img)) return { ok: false, image: img, mask: item.mask !== undefined ? 'unused' : undefined };
  const oriented = applyOrientation(img.raw, img.orientation);
  const rgb = new Uint8Array(o.size * o.size * 3);
  const place = resizeInto(oriented, o.size, o.resize, rgb, 0);
  if (o.task === 'classify') return { ok: true, rgb, merged: 0, warnings: img.warnings };

  if (item.listed) {
    const b = listedBox(item.listed, img.raw, img.orientation);
    if (!b)
      return {
        ok: false,
        image: { code: 'BOX_MISSING', message: 'its listed box lies outside the image' },
        mask: item.mask !== undefined ? 'unused' : undefined,
      };
    return { ok: true, rgb, box: placeBox(b, place), merged: item.listed.boxes.length, warnings: img.warnings };
  }
  const maskFile = files[item.mask!];
  const mask = await loadImage(maskFile, decoder, o.maxPixels);
  if (isSkip(mask)) {
    return { ok: false, image: { code: mask.code, message: `its mask ${maskFile.path}: ${mask.message}` }, mask };
  }
  const { width: W, height: H } = img.raw;
  let orientedMask: RawImage;
  if (mask.raw.width === W && mask.raw.height === H) {
    // A mask is drawn on the image's stored pixels: it turns with the image, whatever its own tag says.
    orientedMask = applyOrientation(mask.raw, img.orientation);
  } else if (swapsAxes(img.orientation) && mask.raw.width === H && mask.raw.height === W) {
    orientedMask = mask.raw; // drawn on the already turned image
  } else {
    const m: Skip = {
      code: 'SIZE_MISMATCH',
      message: `image is ${W} x ${H} but its mask ${maskFile.path} is ${mask.raw.width} x ${mask.raw.height}`,
    };
    return { ok: false, image: m, mask: { code: 'SIZE_MISMATCH', message: `mask is ${mask.raw.width} x ${mask.raw.height} but its image is ${W} x ${H}` } };
  }
  const mb = maskToBox(orientedMask);
  if (!mb.box) {
    const message = `its mask has no region of 50 pixels or more at half intensity (no polyp)`;
    return { ok: false, image: { code: 'EMPTY_MASK', message }, mask: { code: 'EMPTY_MASK', message: 'no region of 50 pixels or more at half intensity' } };
  }
  return { ok: true, rgb, box: placeBox(mb.box, place), merged: mb.components.length, warnings: img.warnings, maskWarnings: mask.warnings };
}

interface Accepted {
  item: AssignedImage;
  slot: number;
  box?: Box;
  merged: number;
}

function emptySamples(size: number): Samples {
  return { images: new Uint8Array(0), count: 0, size };
}

/** Import a dropped folder. Never throws for bad data; see the module header. */
export async function importDataset(files: InputFile[], opts: ImportOptions, decoder: ImageDecoder): Promise<ImportResult> {
  checkOptions(opts);
  const size = opts.inputSize;
  const resize = opts.resize ?? 'stretch';
  const seed = opts.seed ?? 0;
  const testShare = opts.testShare ?? DEFAULT_TEST_SHARE;
  const valShare = opts.valShare ?? 0;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
  const { signal, onProgress } = opts;
  const px = size * size * 3;

  // 1. Listing: sort, and rule out what the names alone rule out.
  cancelled(signal);
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  const paths = sorted.map((f) => f.path);
  const n = sorted.length;
  onProgress?.({ phase: 'listing', done: 0, total: n });
  const status = new Map<number, ReportFile>();
  const usable: boolean[] = new Array(n);
  const empty: boolean[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 5000 === 4999) {
      cancelled(signal);
      onProgress?.({ phase: 'listing', done: i + 1, total: n });
    }
    const kind = pathKind(paths[i]);
    usable[i] = kind !== 'other';
    empty[i] = sorted[i].size === 0;
    if (!usable[i]) status.set(i, { path: paths[i], status: 'NOT_AN_IMAGE', message: 'not an image (a document, data or system file, by its name)' });
    else if (empty[i]) status.set(i, { path: paths[i], status: 'EMPTY_FILE', message: 'the file is empty (0 bytes)' });
  }
  onProgress?.({ phase: 'listing', done: n, total: n });

  // 2. Layout.
  const detection = opts.layout ? null : detectLayout(paths);
  const layout: Layout | null = opts.layout ?? detection!.layout;
  const evidence = detection ? detection.evidence : ['layout chosen by the user'];
  const notes: string[] = [];
  const blocking: DataError[] = [];
  const settings: ImportReport['settings'] = {
    inputSize: size,
    resize,
    subset: opts.subset ?? null,
    seed,
    testShare,
    valShare,
    maxPixels,
    maxBytes,
    split: 'seeded',
    groups: opts.groups ? (opts.groups.kind === 'csv' ? opts.groups.name : opts.groups.kind) : 'auto',
    splitBy: opts.splitBy ?? 'group',
  };
  let groupReport: GroupReport | undefined;

  const finish = (parts: {
    assignment: Assignment | null;
    samples: Samples;
    split: ImportResult['split'];
    accepted: Accepted[];
    classes?: ClassSummary[];
  }): ImportResult => {
    const { assignment, samples, split, accepted, classes } = parts;
    for (let i = 0; i < n; i++) if (!status.has(i)) status.set(i, { path: paths[i], status: 'unused', message: 'not drawn into the subset' });
    const report: ImportReport = {
      version: 1,
      layout,
      layoutDescription: layout ? describeLayout(layout) : 'no layout recognised',
      layoutSource: opts.layout ? 'chosen' : 'detected',
      evidence,
      task: assignment?.task ?? null,
      classes,
      counts: {
        listed: n,
        images: samples.count,
        boxes: samples.boxes ? samples.count : 0,
        mergedBoxImages: accepted.filter((a) => a.merged > 1).length,
        train: split.train.count,
        test: split.test.count,
        val: split.val?.count ?? 0,
        skipped: 0,
        warnings: 0,
        unused: 0,
      },
      settings,
      ...(groupReport ? { groups: groupReport } : {}),
      byCode: {},
      blocking: blocking.map((e) => ({ code: e.code as BlockingCode, subject: e.subject, message: e.message })),
      notes,
      files: [],
    };
    for (let i = 0; i < n; i++) {
      const f = status.get(i)!;
      report.files.push(f);
      if (f.status === 'unused') report.counts.unused++;
      else if (f.status !== 'ok') {
        report.counts.skipped++;
        report.byCode[f.status] = (report.byCode[f.status] ?? 0) + 1;
      }
      const warnings = 'warnings' in f ? f.warnings : undefined;
      for (const w of warnings ?? []) {
        report.counts.warnings++;
        report.byCode[w.code] = (report.byCode[w.code] ?? 0) + 1;
      }
    }
    return { layout, task: assignment?.task ?? null, classNames: assignment?.classNames, samples, split, report, blocking };
  };
  const nothing = (assignment: Assignment | null) =>
    finish({ assignment, samples: emptySamples(size), split: { train: emptySamples(size), test: emptySamples(size) }, accepted: [] });

  if (!layout) {
    blocking.push(
      new DataError(
        'LAYOUT_UNKNOWN',
        `The folder's layout was not recognised: ${evidence.join('; ')}. Arrange it as class folders, CLASS-id names, images/ + masks/, or add a box list, or choose a layout`,
        paths.length ? paths[0].split('/')[0] : '',
      ),
    );
    return nothing(null);
  }

  // 3. The layout's annotation file, if any.
  let boxList: BoxList | null = null;
  const listPath = layout.kind === 'box-list' ? layout.list : layout.kind === 'mask-pairs' ? layout.boxesFile : undefined;
  if (listPath !== undefined) {
    const li = paths.indexOf(listPath);
    const required = layout.kind === 'box-list';
    try {
      if (li < 0) throw new DataError('LAYOUT_UNKNOWN', `the box file "${listPath}" is not in the folder`, listPath);
      cancelled(signal);
      const text = new TextDecoder('utf-8').decode(await sorted[li].read());
      boxList = parseBoxList(text, listPath);
      status.set(li, { path: listPath, status: 'ok', role: 'annotation' });
    } catch (e) {
      if (isDataError(e) && e.code === 'CANCELLED') throw e;
      const message = e instanceof Error ? e.message : String(e);
      if (li >= 0) status.set(li, { path: listPath, status: 'DECODE_FAILED', message: `could not be read as a box list: ${message}` });
      if (required) {
        blocking.push(new DataError('LAYOUT_UNKNOWN', `The box list could not be used: ${message}`, listPath));
        return nothing(null);
      }
      notes.push(`The box file "${listPath}" could not be used (${message}); boxes come from the masks`);
    }
  }

  // 4. Assignment from the paths.
  const assignment = assignFiles(paths, usable, empty, layout, boxList);
  notes.push(...assignment.notes);
  for (const [i, s] of assignment.skipped) status.set(i, { path: paths[i], status: s.code, message: s.message });
  const task = assignment.task;
  const classNames = assignment.classNames ?? [];
  const classIndex = new Map(classNames.map((c, i) => [c, i]));

  // 4b. Groups (patient, slide, sequence, source tile): from the path names, or a CSV.
  const source = opts.groups ?? { kind: 'auto' as const };
  const folderCsvs: { path: string; text: string }[] = [];
  if (source.kind === 'auto') {
    for (let i = 0; i < n && folderCsvs.length < MAX_GROUP_CSVS; i++) {
      const ext = paths[i].slice(paths[i].lastIndexOf('.') + 1).toLowerCase();
      if ((ext !== 'csv' && ext !== 'tsv') || !GROUP_FILE_NAME.test(paths[i].slice(paths[i].lastIndexOf('/') + 1))) continue;
      if (sorted[i].size === 0 || sorted[i].size > MAX_GROUP_CSV_BYTES || paths[i] === listPath) continue;
      cancelled(signal);
      try {
        folderCsvs.push({ path: paths[i], text: new TextDecoder('utf-8').decode(await sorted[i].read()) });
      } catch {
        notes.push(`"${paths[i]}" could not be read, so its groups (if any) are not used`);
      }
    }
  }
  const itemPaths = assignment.items.map((it) => paths[it.image]);
  let found: GroupsFound;
  try {
    found = findGroups(itemPaths, source, folderCsvs);
  } catch (e) {
    if (!isDataError(e)) throw e;
    blocking.push(new DataError('GROUPS_INVALID', `The groups file cannot be used: ${e.message}`, e.subject));
    found = findGroups(itemPaths, { kind: 'none' });
    found.evidence = [`groups asked from ${e.subject ?? 'a CSV'}, which cannot be used`];
  }
  const groupOfItem = new Map<number, string>();
  assignment.items.forEach((it, k) => groupOfItem.set(it.image, found.groups[k]));
  if (found.source === 'csv') {
    notes.push(...found.notes);
    const ci = found.csv !== undefined ? paths.indexOf(found.csv) : -1;
    if (ci >= 0) status.set(ci, { path: found.csv!, status: 'ok', role: 'annotation' });
  }
  const hasGroups = found.source !== 'none';
  const byGroup = hasGroups && (opts.splitBy ?? 'group') === 'group';

  // 5. Strata, quotas and seeded pools.
  const strata = new Map<string, AssignedImage[]>();
  for (const item of assignment.items) {
    const key = task === 'classify' ? `${item.split ?? ''}/${item.className}` : 'all';
    let s = strata.get(key);
    if (!s) strata.set(key, (s = []));
    s.push(item);
  }
  const keys = [...strata.keys()].sort(comparePaths);
  const sizes = keys.map((k) => strata.get(k)!.length);
  const minEach = task === 'classify' ? (assignment.givenSplit ? 1 : 2) : 0;
  const quotas = opts.subset !== undefined ? subsetQuotas(sizes, opts.subset, minEach) : sizes;
  const pools = keys.map((k) => (opts.subset !== undefined ? seededPool(strata.get(k)!, seed, k) : strata.get(k)!));
  const capacity = quotas.reduce((a, b) => a + b, 0);
  if (capacity * px > maxBytes) {
    const fit = Math.floor(maxBytes / px);
    blocking.push(
      new DataError(
        'TOO_MANY_IMAGES',
        `${capacity} images at ${size} x ${size} px need ${((capacity * px) / 2 ** 30).toFixed(1)} GiB, over the ${(maxBytes / 2 ** 30).toFixed(1)} GiB limit; ` +
          `import a subset of at most ${fit} images (or a smaller input size)`,
        layout.kind === 'mask-pairs' ? layout.images : layout.root,
      ),
    );
    return finish({ assignment, samples: emptySamples(size), split: { train: emptySamples(size), test: emptySamples(size) }, accepted: [] });
  }

  // 6. Read, decode, shrink: only what is needed, replacements drawn from the same pool.
  const images = new Uint8Array(capacity * px);
  const accepted: Accepted[] = [];
  const planned = quotas.reduce((a, b) => a + b, 0);
  let drawnBeyond = 0;
  let done = 0;
  onProgress?.({ phase: 'decoding', done: 0, total: planned });
  const decodeOpts = { size, resize, maxPixels, task };
  for (let s = 0; s < keys.length; s++) {
    const pool = pools[s];
    let need = quotas[s];
    let next = 0;
    while (need > 0 && next < pool.length) {
      cancelled(signal);
      const batch = pool.slice(next, next + Math.min(concurrency, need));
      if (next + batch.length > quotas[s]) drawnBeyond += next + batch.length - Math.max(next, quotas[s]);
      next += batch.length;
      const results = await Promise.all(batch.map((item) => loadItem(item, sorted, decoder, decodeOpts)));
      cancelled(signal);
      results.forEach((r, k) => {
        const item = batch[k];
        const ip = paths[item.image];
        if (!r.ok) {
          status.set(item.image, { path: ip, status: r.image.code, message: r.image.message });
          if (item.mask !== undefined) {
            const m = r.mask;
            status.set(
              item.mask,
              m === undefined || m === 'unused'
                ? { path: paths[item.mask], status: 'unused', message: `its image ${ip} was not used` }
                : { path: paths[item.mask], status: m.code, message: m.message },
            );
          }
          return;
        }
        const slot = accepted.length;
        images.set(r.rgb, slot * px);
        accepted.push({ item, slot, box: r.box, merged: r.merged });
        need--;
        const entry: ReportFile = { path: ip, status: 'ok', role: 'image', split: 'train' };
        if (item.className !== undefined) entry.class = item.className;
        if (r.box) entry.box = r.box.map(round6) as Box;
        if (r.merged > 1) entry.merged = r.merged;
        if (r.warnings.length) entry.warnings = r.warnings;
        status.set(item.image, entry);
        if (item.mask !== undefined) {
          const me: ReportFile = { path: paths[item.mask], status: 'ok', role: 'mask', image: ip };
          if (r.maskWarnings?.length) me.warnings = r.maskWarnings;
          status.set(item.mask, me);
        }
      });
      done += batch.length;
      onProgress?.({ phase: 'decoding', done, total: planned + drawnBeyond });
    }
    for (let k = next; k < pool.length; k++) {
      const item = pool[k];
      status.set(item.image, { path: paths[item.image], status: 'unused', message: `not drawn into the subset of ${opts.subset}` });
      if (item.mask !== undefined)
        status.set(item.mask, { path: paths[item.mask], status: 'unused', message: `its image ${paths[item.image]} was not drawn into the subset` });
    }
  }

  // 7. Samples in path order, then the split.
  accepted.sort((a, b) => a.item.image - b.item.image);
  const count = accepted.length;
  const labels = task === 'classify' ? Int32Array.from(accepted, (a) => classIndex.get(a.item.className!)!) : null;
  const acceptedPaths = accepted.map((a) => paths[a.item.image]);
  const acceptedGroups = accepted.map((a) => groupOfItem.get(a.item.image) ?? '');
  let tooFew: TooFewGroups[] = [];
  /** A grouped split of the accepted items `idx` (whole groups to test, then to validation). */
  const grouped = (idx: number[], test: number, val: number): SplitIndices & { tooFew: TooFewGroups[] } => {
    const r = groupedSplit(
      idx.map((i) => acceptedGroups[i]),
      {
        labels: labels ? idx.map((i) => labels[i]) : undefined,
        classNames,
        testShare: test,
        valShare: val,
        seed,
        ids: idx.map((i) => acceptedPaths[i]),
      },
    );
    return { train: r.train.map((j) => idx[j]), test: r.test.map((j) => idx[j]), val: r.val.map((j) => idx[j]), tooFew: r.tooFew };
  };
  const all = Array.from({ length: count }, (_, i) => i);
  let parts: SplitIndices;
  const folderSplits = new Set(assignment.items.map((it) => it.split).filter((x) => x !== undefined));
  if (task === 'classify' && assignment.givenSplit) {
    settings.split = 'folders';
    parts = { train: [], test: [], val: [] };
    const valIsTest = !folderSplits.has('test') && folderSplits.has('val');
    accepted.forEach((a, i) => {
      const sp = a.item.split === 'val' && valIsTest ? 'test' : a.item.split!;
      parts[sp].push(i);
    });
    if (!folderSplits.has('test') && !valIsTest) {
      // Only a train folder: hold out a seeded, stratified test share of it (whole groups, with groups).
      settings.split = 'seeded';
      if (byGroup) {
        const g = grouped(parts.train, testShare, valShare);
        tooFew = g.tooFew;
        parts = { train: g.train, test: g.test, val: g.val };
      } else {
        const sub = stratifiedSplit(
          parts.train.map((i) => labels![i]),
          classNames,
          { testShare, seed },
        );
        parts = { train: sub.train.map((j) => parts.train[j]), test: sub.test.map((j) => parts.train[j]), val: [] };
      }
    }
    if (valShare > 0 && parts.val.length === 0) {
      if (byGroup) {
        const g = grouped(parts.train, valShare, 0);
        parts.val = g.test;
        parts.train = g.train;
      } else {
        const v = takeValidation(parts.train, labels, classNames, valShare, seed);
        parts.train = v.train;
        parts.val = v.val;
      }
    }
  } else if (byGroup) {
    const g = grouped(all, testShare, valShare);
    tooFew = g.tooFew;
    parts = { train: g.train, test: g.test, val: g.val };
  } else if (task === 'classify') {
    parts = stratifiedSplit(labels!, classNames, { testShare, valShare, seed });
  } else {
    parts = randomSplit(count, { testShare, valShare, seed });
  }

  // 7b. What the split did with the groups.
  if (hasGroups || blocking.some((b) => b.code === 'GROUPS_INVALID')) {
    const stats = splitGroupStats(acceptedGroups, parts);
    const sizes = new Map<string, number>();
    for (const g of acceptedGroups) if (g) sizes.set(g, (sizes.get(g) ?? 0) + 1);
    let largest: GroupReport['largest'];
    for (const [name, images] of sizes)
      if (!largest || images > largest.images || (images === largest.images && name < largest.name)) largest = { name, images };
    const withGroup = acceptedGroups.filter((g) => g).length;
    const splitBy: GroupReport['splitBy'] = settings.split === 'folders' ? 'folders' : byGroup ? 'group' : 'image';
    const said: string[] = [...found.notes];
    if (hasGroups && count > 0 && withGroup < count)
      said.push(`${count - withGroup} of ${count} usable image(s) have no group: each of them is split on its own`);
    if (largest && sizes.size === 1 && withGroup === count && count > 1) said.push(`all ${count} usable images are in one group ("${largest.name}")`);
    if (splitBy === 'group')
      said.push(
        `test${parts.val.length ? ' and validation' : ''} take whole groups: ${stats.groups.train} group(s) in training, ${stats.groups.test} in test` +
          `${parts.val.length ? `, ${stats.groups.val} in validation` : ''}; groups in both sets: ${stats.inBoth}`,
      );
    else if (splitBy === 'image' && hasGroups)
      said.push(
        `split by image (chosen): ${(100 * stats.leakage).toFixed(1)} % of the test images share a group with training images, so the test set measures recognition of groups it has seen`,
      );
    else if (splitBy === 'folders' && stats.inBoth > 0)
      said.push(
        `the split is the folders': ${stats.inBoth} group(s) have images in more than one set (${(100 * stats.leakage).toFixed(1)} % of the test images)`,
      );
    groupReport = {
      source: found.source,
      ...(found.csv !== undefined ? { csv: found.csv } : {}),
      evidence: found.evidence,
      groups: sizes.size,
      grouped: withGroup,
      ungrouped: count - withGroup,
      unmatchedRows: found.unmatchedRows,
      unmatchedExamples: found.unmatchedExamples,
      ...(largest ? { largest } : {}),
      splitBy,
      perSet: stats.groups,
      groupsInBoth: stats.inBoth,
      leakage: stats.leakage,
      notes: said,
    };
  } else {
    groupReport = {
      source: 'none',
      evidence: found.evidence,
      groups: 0,
      grouped: 0,
      ungrouped: count,
      unmatchedRows: 0,
      unmatchedExamples: [],
      splitBy: settings.split === 'folders' ? 'folders' : 'image',
      perSet: { train: 0, val: 0, test: 0 },
      groupsInBoth: 0,
      leakage: 0,
      notes: [],
    };
  }

  // 8. What blocks training.
  const root = layout.kind === 'mask-pairs' ? layout.images : layout.root;
  const classes: ClassSummary[] | undefined =
    task === 'classify' ? classNames.map((name) => ({ name, count: 0, train: 0, test: 0, val: 0, listed: assignment.classFiles?.get(name) ?? 0 })) : undefined;
  if (classes) {
    for (const [part, idx] of [
      ['train', parts.train],
      ['test', parts.test],
      ['val', parts.val],
    ] as const) {
      for (const i of idx) {
        classes[labels![i]][part]++;
        classes[labels![i]].count++;
      }
    }
  }
  if (count === 0) {
    blocking.push(
      new DataError(
        'NO_IMAGES',
        `No usable image was found in ${root === '' ? 'the folder' : `"${root}"`}; see the report for why each file was skipped`,
        root,
      ),
    );
  }
  if (classes && count > 0) {
    for (const c of classes) {
      if (c.count === 0) {
        blocking.push(
          new DataError(
            'EMPTY_CLASS',
            `Class "${c.name}" has no usable image (${c.listed} file(s) listed, none could be used); fix or remove its folder`,
            c.name,
          ),
        );
      }
    }
    const live = classes.filter((c) => c.count > 0);
    if (live.length < 2) {
      blocking.push(
        new DataError(
          'TOO_FEW_CLASSES',
          `Classification needs at least 2 classes with images; found ${live.length}${live.length ? ` (${live[0].name})` : ''}`,
          root,
        ),
      );
    }
    for (const f of tooFew) {
      blocking.push(
        new DataError(
          'TOO_FEW_GROUPS',
          `Class "${f.className}" has its ${f.images} image(s) in ${f.groups} group(s); a split by group needs at least 2 (one for training, one for test). ` +
            'Add images of other groups, or choose to split by image in Import settings (the test set then shares groups with training)',
          f.className,
        ),
      );
    }
    for (const c of live) {
      if (tooFew.some((f) => f.className === c.name)) continue;
      if (c.train === 0 || c.test === 0) {
        const msg =
          assignment.givenSplit && settings.split === 'folders'
            ? `Class "${c.name}" has ${c.train} training and ${c.test} test image(s); it needs at least one in each split folder`
            : `Class "${c.name}" has ${c.count} usable image(s); it needs at least 2 to have one in training and one in test`;
        blocking.push(new DataError('CLASS_TOO_SMALL', msg, c.name));
      }
    }
  }
  if (task === 'box' && tooFew.length && count > 1) {
    const f = tooFew[0];
    blocking.push(
      new DataError(
        'TOO_FEW_GROUPS',
        `All ${f.images} images are in ${f.groups} group; a split by group needs at least 2 (one for training, one for test). ` +
          'Add images of other groups, or choose to split by image in Import settings (the test set then shares groups with training)',
        root,
      ),
    );
  }
  if (task === 'box' && count === 1) {
    blocking.push(new DataError('CLASS_TOO_SMALL', 'Only 1 usable image: at least 2 are needed to have one in training and one in test', root));
  }

  // 9. Reorder slots in place to train | val | test, each in path order (no second buffer).
  const order = [...parts.train, ...parts.val, ...parts.test];
  const perm = order.map((i) => accepted[i].slot);
  const tmp = new Uint8Array(px);
  const visited = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    if (visited[k] || perm[k] === k) {
      visited[k] = 1;
      continue;
    }
    tmp.set(images.subarray(k * px, (k + 1) * px));
    let j = k;
    for (;;) {
      visited[j] = 1;
      const src = perm[j];
      if (src === k) {
        images.set(tmp, j * px);
        break;
      }
      images.copyWithin(j * px, src * px, (src + 1) * px);
      j = src;
    }
  }
  const ordered = order.map((i) => accepted[i]);
  const splitOf = new Map<number, SplitName>();
  for (const [part, idx] of [
    ['train', parts.train],
    ['test', parts.test],
    ['val', parts.val],
  ] as const)
    for (const i of idx) splitOf.set(accepted[i].item.image, part);
  for (const a of accepted) {
    const e = status.get(a.item.image);
    if (e && e.status === 'ok' && e.role === 'image') {
      e.split = splitOf.get(a.item.image)!;
      const g = groupOfItem.get(a.item.image);
      if (g) e.group = g;
    }
  }
  const samples: Samples = {
    images: images.subarray(0, count * px),
    count,
    size,
    ids: ordered.map((a) => paths[a.item.image]),
  };
  if (labels) samples.labels = Int32Array.from(ordered, (a) => classIndex.get(a.item.className!)!);
  if (hasGroups) samples.groups = ordered.map((a) => groupOfItem.get(a.item.image) ?? '');
  if (task === 'box') {
    const boxes = new Float32Array(count * 4);
    ordered.forEach((a, i) => boxes.set(a.box!, i * 4));
    samples.boxes = boxes;
  }
  const view = (from: number, to: number): Samples => {
    const s: Samples = { images: samples.images.subarray(from * px, to * px), count: to - from, size, ids: samples.ids!.slice(from, to) };
    if (samples.labels) s.labels = samples.labels.subarray(from, to);
    if (samples.boxes) s.boxes = samples.boxes.subarray(from * 4, to * 4);
    if (samples.groups) s.groups = samples.groups.slice(from, to);
    return s;
  };
  const nTrain = parts.train.length;
  const nVal = parts.val.length;
  const split: ImportResult['split'] = { train: view(0, nTrain), test: view(nTrain + nVal, count) };
  if (nVal > 0) split.val = view(nTrain, nTrain + nVal);
  return finish({ assignment, samples, split, accepted, classes });
}
