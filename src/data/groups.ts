/**
 * Which group each image belongs to: the patient, slide, video sequence or source tile it was cut
 * from, so that a split can keep a group on one side and never test on a patient it trained on.
 * Groups come from
 * - a TCGA barcode in the path (`blk-AACEIDCGKIES-TCGA-AG-3881-01Z-00-DX1.png` -> `TCGA-AG-3881`,
 *   the patient: TCGA's MSI/MSS labels are per patient), recognised automatically;
 * - a CSV of `file,group` rows (a header names the columns: `file`/`path`/`frame`... and
 *   `group`/`patient`/`sequence`/`source_group`...), given by the user or, automatically, found
 *   in the folder under a name that says so (`*group*`, `*sequence*`, `*patient*`...). A row
 *   matches an image by its relative path (relative to the CSV's folder, or as a path suffix),
 *   else by its stem when exactly one image has that stem.
 *
 * Owns: `GroupSource`, the CSV reader, the matcher and the evidence sentences. Text and paths in,
 * plain data out: no I/O, no DOM.
 */
import { DataError } from '../core/errors';
import { splitCsvLine } from './boxList';
import { basename, comparePaths, dirname, extension, formatFromExtension, joinPath, stem } from './paths';
import type { GroupSource } from './types';

export type { GroupSource };

export interface GroupRow {
  /** 1-based line in the CSV. */
  line: number;
  file: string;
  group: string;
}

export interface GroupsCsv {
  rows: GroupRow[];
  fileColumn: string;
  groupColumn: string;
  /** Rows that could not be read, in words. */
  notes: string[];
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

const FILE_COLUMNS = ['file', 'filename', 'path', 'filepath', 'image', 'imagename', 'imagepath', 'img', 'name', 'frame', 'tile', 'id', 'imageid', 'fname'];
const GROUP_COLUMNS = [
  'group',
  'groups',
  'groupid',
  'sourcegroup',
  'patient',
  'patientid',
  'case',
  'caseid',
  'subject',
  'subjectid',
  'slide',
  'slideid',
  'sequence',
  'sequenceid',
  'seq',
  'video',
  'videoid',
  'study',
  'studyid',
];

/** A CSV file name that says it holds groups (read automatically in "auto"). */
export const GROUP_FILE_NAME = /group|sequence|patient|slide|subject|case|video/i;

/** The first column named one of `names` (in their order), else one whose name ends with `suffix`. */
function column(head: readonly string[], names: readonly string[], suffix?: string): number {
  for (const n of names) {
    const i = head.findIndex((h) => norm(h) === n);
    if (i >= 0) return i;
  }
  return suffix ? head.findIndex((h) => norm(h).endsWith(suffix)) : -1;
}

/**
 * Read a groups CSV. `strict` (a file found automatically): only a header naming a group column
 * counts. Otherwise a two-column file without such a header is read as file, group. Throws a
 * DataError GROUPS_INVALID naming the file when it holds no usable rows.
 */
export function parseGroupsCsv(text: string, name: string, strict = false): GroupsCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const firstIndex = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('#'));
  if (firstIndex < 0) throw new DataError('GROUPS_INVALID', `${name} is empty: it names no file and no group`, name);
  const first = lines[firstIndex];
  const sep = [',', ';', '\t'].reduce((best, s) => (first.split(s).length > first.split(best).length ? s : best), ',');
  const head = splitCsvLine(first, sep);
  let fileCol = column(head, FILE_COLUMNS);
  let groupCol = column(head, GROUP_COLUMNS, 'group');
  let start = firstIndex + 1;
  if (groupCol < 0 || fileCol < 0 || fileCol === groupCol) {
    if (strict || head.length !== 2) {
      throw new DataError(
        'GROUPS_INVALID',
        `${name} has no file and group columns (its first row is: ${head.join(', ')}); write a header "file,group" (or patient, sequence, slide, source_group)`,
        name,
      );
    }
    fileCol = 0;
    groupCol = 1;
    // Without a recognised header, a first row naming an image file is data.
    if (formatFromExtension(head[0])) start = firstIndex;
  }
  const rows: GroupRow[] = [];
  const notes: string[] = [];
  for (let r = start; r < lines.length; r++) {
    const line = lines[r];
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = splitCsvLine(line, sep);
    const file = (f[fileCol] ?? '').replace(/\\/g, '/').replace(/^\.\//, '');
    const group = f[groupCol] ?? '';
    if (!file) notes.push(`${name} line ${r + 1}: no file name`);
    else if (!group) notes.push(`${name} line ${r + 1} (${file}): no group`);
    else rows.push({ line: r + 1, file, group });
  }
  if (rows.length === 0) throw new DataError('GROUPS_INVALID', `${name} has no row with both a file and a group`, name);
  return { rows, fileColumn: head[fileCol] ?? 'file', groupColumn: head[groupCol] ?? 'group', notes };
}

export interface GroupMatch {
  /** The group of each image, in the order of `images`; '' for none. */
  groups: string[];
  /** Rows that name no image of the folder. */
  unmatched: GroupRow[];
  /** Rows whose name fits several images (a bare stem or file name in several folders). */
  ambiguous: GroupRow[];
  /** Images given two different groups (the first row wins). */
  conflicts: number;
}

/**
 * Match CSV rows to images: by the row's path relative to the CSV's folder (`csvPath`, when the
 * CSV is in the folder), else by path suffix (the row's path ends the image's, or the other way
 * round, on whole segments), else by stem when exactly one image has it.
 */
export function matchGroups(images: readonly string[], rows: readonly GroupRow[], csvPath?: string): GroupMatch {
  const byPath = new Map<string, number>();
  const byName = new Map<string, number[]>();
  const byStem = new Map<string, number[]>();
  images.forEach((p, i) => {
    byPath.set(p, i);
    const push = (m: Map<string, number[]>, k: string) => {
      const l = m.get(k);
      if (l) l.push(i);
      else m.set(k, [i]);
    };
    push(byName, basename(p));
    push(byStem, stem(p));
  });
  const groups = new Array<string>(images.length).fill('');
  const unmatched: GroupRow[] = [];
  const ambiguous: GroupRow[] = [];
  let conflicts = 0;
  const folder = csvPath !== undefined ? dirname(csvPath) : null;
  const endsWithSegments = (long: string, short: string) => long === short || long.endsWith(`/${short}`);
  for (const row of rows) {
    let hit: number | undefined = folder !== null ? byPath.get(joinPath(folder, row.file)) : undefined;
    if (hit === undefined) hit = byPath.get(row.file);
    if (hit === undefined) {
      const named = (byName.get(basename(row.file)) ?? []).filter((i) => endsWithSegments(images[i], row.file) || endsWithSegments(row.file, images[i]));
      if (named.length > 1) {
        ambiguous.push(row);
        continue;
      }
      hit = named[0];
    }
    if (hit === undefined) {
      // A bare name ("1", "colonca1"): by stem, when it is a stem and exactly one image has it.
      const key = extension(row.file) && formatFromExtension(row.file) ? stem(row.file) : basename(row.file);
      const stems = byStem.get(key) ?? [];
      if (stems.length > 1) {
        ambiguous.push(row);
        continue;
      }
      hit = stems[0];
    }
    if (hit === undefined) {
      unmatched.push(row);
      continue;
    }
    if (groups[hit] && groups[hit] !== row.group) conflicts++;
    else groups[hit] = row.group;
  }
  return { groups, unmatched, ambiguous, conflicts };
}

const TCGA = /TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}/gi;

/** The TCGA patient (`TCGA-<TSS>-<participant>`) a path names, the last one if several; or null. */
export function tcgaPatient(path: string): string | null {
  const all = path.match(TCGA);
  return all ? all[all.length - 1].toUpperCase() : null;
}

export interface GroupsFound {
  /** Per image, in the order of `images`; '' for none. */
  groups: string[];
  source: 'none' | 'tcga' | 'csv';
  /** The CSV used (its path in the folder, or the name the user gave). */
  csv?: string;
  /** What was seen, in sentences a person can check. */
  evidence: string[];
  /** Problems a person should fix in the CSV (unmatched, ambiguous, conflicting rows). */
  notes: string[];
  unmatchedRows: number;
  /** Up to 10 of them, as the CSV wrote them. */
  unmatchedExamples: string[];
}

const examples = (rows: readonly GroupRow[]) => rows.slice(0, 10).map((r) => `line ${r.line}: ${r.file}`);

function fromCsv(images: readonly string[], csv: GroupsCsv, name: string, csvPath?: string): GroupsFound {
  const m = matchGroups(images, csv.rows, csvPath);
  const grouped = m.groups.filter((g) => g).length;
  const distinct = new Set(m.groups.filter((g) => g)).size;
  const notes = [...csv.notes];
  if (m.unmatched.length)
    notes.push(
      `${m.unmatched.length} row(s) of ${name} name no image of the folder (${examples(m.unmatched).join('; ')}${m.unmatched.length > 10 ? '; ...' : ''})`,
    );
  if (m.ambiguous.length) notes.push(`${m.ambiguous.length} row(s) of ${name} fit several images and were not used (${examples(m.ambiguous).join('; ')})`);
  if (m.conflicts) notes.push(`${m.conflicts} image(s) are given two different groups in ${name}; the first row counts`);
  return {
    groups: m.groups,
    source: 'csv',
    csv: name,
    evidence: [
      `groups from ${csvPath !== undefined ? `"${csvPath}" in the folder` : `"${name}"`} (columns "${csv.fileColumn}" and "${csv.groupColumn}"): ${grouped} of ${images.length} image(s) in ${distinct} group(s)`,
    ],
    notes,
    unmatchedRows: m.unmatched.length,
    unmatchedExamples: examples(m.unmatched),
  };
}

function fromTcga(images: readonly string[]): { found: GroupsFound | null; evidence: string } {
  const groups = images.map((p) => tcgaPatient(p) ?? '');
  const named = groups.filter((g) => g).length;
  if (named === 0) return { found: null, evidence: 'no TCGA barcode in the file names' };
  const distinct = new Set(groups.filter((g) => g)).size;
  const example = images.find((p) => tcgaPatient(p))!;
  const evidence = `${named} of ${images.length} file name(s) carry a TCGA barcode (e.g. "${basename(example)}" -> ${tcgaPatient(example)}): ${distinct} patient(s)`;
  if (named * 2 < images.length) return { found: null, evidence: `${evidence}; fewer than half, so they are not used as groups` };
  return { found: { groups, source: 'tcga', evidence: [evidence], notes: [], unmatchedRows: 0, unmatchedExamples: [] }, evidence };
}

const none = (images: readonly string[], evidence: string[]): GroupsFound => ({
  groups: new Array<string>(images.length).fill(''),
  source: 'none',
  evidence,
  notes: [],
  unmatchedRows: 0,
  unmatchedExamples: [],
});

/**
 * Groups of `images` (relative paths) from `source`. In "auto", `folderCsvs` are the CSVs found
 * in the folder under a name that says groups (path and text); the one that matches the most
 * images wins, else TCGA barcodes, else none. A CSV the user gave that cannot be read throws a
 * DataError GROUPS_INVALID; one found automatically is only mentioned.
 */
export function findGroups(images: readonly string[], source: GroupSource, folderCsvs: readonly { path: string; text: string }[] = []): GroupsFound {
  if (source.kind === 'none') return none(images, ['groups: none (the split takes images one by one)']);
  if (source.kind === 'csv') {
    const found = fromCsv(images, parseGroupsCsv(source.text, source.name), source.name);
    if (found.groups.every((g) => !g))
      throw new DataError(
        'GROUPS_INVALID',
        `None of the ${found.unmatchedRows} row(s) of ${source.name} names an image of the folder (${found.unmatchedExamples.slice(0, 3).join('; ')})`,
        source.name,
      );
    return found;
  }
  const seen: string[] = [];
  let best: GroupsFound | null = null;
  let bestCount = 0;
  for (const f of [...folderCsvs].sort((a, b) => comparePaths(a.path, b.path))) {
    let csv: GroupsCsv;
    try {
      csv = parseGroupsCsv(f.text, f.path, true);
    } catch {
      seen.push(`"${f.path}" holds no file and group columns`);
      continue;
    }
    const found = fromCsv(images, csv, f.path, f.path);
    const count = found.groups.filter((g) => g).length;
    if (count > bestCount) {
      best = found;
      bestCount = count;
    }
  }
  const tcga = fromTcga(images);
  if (best) return { ...best, evidence: [...best.evidence, ...seen, tcga.evidence] };
  if (tcga.found) return { ...tcga.found, evidence: [...tcga.found.evidence, ...seen] };
  return none(images, [`no groups found: ${tcga.evidence}${folderCsvs.length ? '' : ', no groups CSV in the folder'}`, ...seen]);
}
