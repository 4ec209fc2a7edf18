/**
 * Box annotations written as lists: a CSV (or TSV) of `filename, xmin, ymin, xmax, ymax` in pixels,
 * header row optional, several rows for one file allowed; or JSON, either an array of such records
 * or an object keyed by file name or stem, including Kvasir-SEG's `kavsir_bboxes.json`
 * (`{ "<stem>": { "height", "width", "bbox": [ { "label", "xmin", "ymin", "xmax", "ymax" } ] } }`).
 * Coordinates are pixel edges on the stored image (xmax exclusive, as Kvasir's are).
 *
 * Text in, plain data out: no I/O.
 */
import type { PixelBox } from './maskBoxes';
import { DataError } from '../core/errors';

export interface ListedBoxes {
  boxes: PixelBox[];
  /** The image size the coordinates refer to, when the list says. */
  width?: number;
  height?: number;
}

export interface BoxList {
  /** By the key the list uses: a path, a file name or a stem. */
  entries: Map<string, ListedBoxes>;
  /** Rows that could not be read, in words. */
  notes: string[];
}

const norm = (s: string) => s.toLowerCase().replace(/[\s_\-.]/g, '');

const FILE_KEYS = ['filename', 'file', 'image', 'imageid', 'img', 'name', 'path', 'imagename', 'filepath', 'imagepath', 'id', 'imgname', 'fname'];
const XMIN = ['xmin', 'x0', 'left', 'x1', 'minx'];
const YMIN = ['ymin', 'y0', 'top', 'y1', 'miny'];
const XMAX = ['xmax', 'right', 'x2', 'maxx'];
const YMAX = ['ymax', 'bottom', 'y2', 'maxy'];
const WIDTH = ['width', 'imagewidth', 'imgwidth', 'w'];
const HEIGHT = ['height', 'imageheight', 'imgheight', 'h'];

function findKey(keys: readonly string[], aliases: readonly string[]): string | undefined {
  for (const a of aliases) {
    const k = keys.find((key) => norm(key) === a);
    if (k !== undefined) return k;
  }
  return undefined;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function makeBox(x0: number, y0: number, x1: number, y1: number): PixelBox | string {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return 'coordinates are not numbers';
  if (x1 <= x0 || y1 <= y0) return `empty box (xmin ${x0}, ymin ${y0}, xmax ${x1}, ymax ${y1})`;
  return { x0, y0, x1, y1 };
}

function add(entries: Map<string, ListedBoxes>, key: string, box: PixelBox | null, width?: number, height?: number): void {
  let e = entries.get(key);
  if (!e) entries.set(key, (e = { boxes: [] }));
  if (box) e.boxes.push(box);
  if (width && height && Number.isFinite(width) && Number.isFinite(height)) {
    e.width = width;
    e.height = height;
  }
}

/** One CSV line's fields (double quotes escape, `""` is a quote), trimmed. */
export function splitCsvLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function parseCsv(text: string, name: string): BoxList {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const entries = new Map<string, ListedBoxes>();
  const notes: string[] = [];
  if (lines.length === 0) throw new DataError('LAYOUT_UNKNOWN', `${name} is empty: it holds no boxes`, name);
  const first = lines[0];
  const sep = [',', ';', '\t'].reduce((best, s) => (first.split(s).length > first.split(best).length ? s : best), ',');
  const head = splitCsvLine(first, sep);
  const hasHeader = head.length >= 5 && !Number.isFinite(num(head[1]));
  let col = { file: 0, x0: 1, y0: 2, x1: 3, y1: 4, w: -1, h: -1 };
  if (hasHeader) {
    const idx = (aliases: string[]) => {
      const k = findKey(head, aliases);
      return k === undefined ? -1 : head.indexOf(k);
    };
    col = { file: idx(FILE_KEYS), x0: idx(XMIN), y0: idx(YMIN), x1: idx(XMAX), y1: idx(YMAX), w: idx(WIDTH), h: idx(HEIGHT) };
    if (col.file < 0 || col.x0 < 0 || col.y0 < 0 || col.x1 < 0 || col.y1 < 0) {
      throw new DataError(
        'LAYOUT_UNKNOWN',
        `${name} has no filename, xmin, ymin, xmax, ymax columns (its header is: ${head.join(', ')}); it is not a box list`,
        name,
      );
    }
  } else if (head.length < 5) {
    throw new DataError('LAYOUT_UNKNOWN', `${name} has ${head.length} columns; a box list needs filename, xmin, ymin, xmax, ymax`, name);
  }
  for (let r = hasHeader ? 1 : 0; r < lines.length; r++) {
    const f = splitCsvLine(lines[r], sep);
    const file = f[col.file];
    if (!file) {
      notes.push(`${name} row ${r + 1}: no file name`);
      continue;
    }
    const box = makeBox(num(f[col.x0]), num(f[col.y0]), num(f[col.x1]), num(f[col.y1]));
    if (typeof box === 'string') {
      notes.push(`${name} row ${r + 1} (${file}): ${box}`);
      add(entries, file, null);
      continue;
    }
    add(entries, file, box, col.w >= 0 ? num(f[col.w]) : undefined, col.h >= 0 ? num(f[col.h]) : undefined);
  }
  return { entries, notes };
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A box from an object with xmin.. keys, or from a [xmin, ymin, xmax, ymax] array. */
function boxOf(v: Json): PixelBox | string | null {
  if (Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number')) return makeBox(v[0], v[1], v[2], v[3]);
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  const k = [findKey(keys, XMIN), findKey(keys, YMIN), findKey(keys, XMAX), findKey(keys, YMAX)];
  if (k.some((x) => x === undefined)) return null;
  return makeBox(num(v[k[0]!]), num(v[k[1]!]), num(v[k[2]!]), num(v[k[3]!]));
}

/** Boxes of one record: itself, or its `bbox`/`boxes`/`annotations` list. */
function boxesOf(v: Json, where: string, notes: string[]): { boxes: PixelBox[]; width?: number; height?: number } | null {
  let width: number | undefined;
  let height: number | undefined;
  if (isObject(v)) {
    const wk = findKey(Object.keys(v), WIDTH);
    const hk = findKey(Object.keys(v), HEIGHT);
    width = wk ? num(v[wk]) : undefined;
    height = hk ? num(v[hk]) : undefined;
  }
  const direct = boxOf(v);
  if (typeof direct === 'string') {
    notes.push(`${where}: ${direct}`);
    return { boxes: [], width, height };
  }
  if (direct) return { boxes: [direct], width, height };
  let list: Json = v;
  if (isObject(v)) {
    const lk = findKey(Object.keys(v), ['bbox', 'bboxes', 'boxes', 'box', 'annotations', 'objects']);
    if (lk === undefined) return null;
    list = v[lk];
  }
  const items = Array.isArray(list) && !(list.length === 4 && list.every((x) => typeof x === 'number')) ? list : [list];
  const boxes: PixelBox[] = [];
  for (const item of items) {
    const b = boxOf(item);
    if (typeof b === 'string') notes.push(`${where}: ${b}`);
    else if (b) boxes.push(b);
  }
  return { boxes, width, height };
}

function parseJson(text: string, name: string): BoxList {
  let data: Json;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new DataError('LAYOUT_UNKNOWN', `${name} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, name);
  }
  const entries = new Map<string, ListedBoxes>();
  const notes: string[] = [];
  if (Array.isArray(data)) {
    data.forEach((rec, i) => {
      if (!isObject(rec)) return;
      const fk = findKey(Object.keys(rec), FILE_KEYS);
      const file = fk ? String(rec[fk]) : '';
      if (!file) {
        notes.push(`${name} item ${i}: no file name`);
        return;
      }
      const b = boxesOf(rec, `${name} item ${i} (${file})`, notes);
      if (!b) {
        notes.push(`${name} item ${i} (${file}): no box`);
        add(entries, file, null);
        return;
      }
      for (const box of b.boxes) add(entries, file, box, b.width, b.height);
      if (b.boxes.length === 0) add(entries, file, null);
    });
  } else if (isObject(data)) {
    for (const [key, value] of Object.entries(data)) {
      const b = boxesOf(value, `${name} "${key}"`, notes);
      if (!b) continue;
      add(entries, key, null, b.width, b.height);
      for (const box of b.boxes) add(entries, key, box);
    }
  }
  if (entries.size === 0) throw new DataError('LAYOUT_UNKNOWN', `${name} holds no boxes (expected filename, xmin, ymin, xmax, ymax records)`, name);
  return { entries, notes };
}

/** Parse a box list; throws a DataError LAYOUT_UNKNOWN when the text is not one. */
export function parseBoxList(text: string, name: string): BoxList {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[') ? parseJson(text, name) : parseCsv(text, name);
}
