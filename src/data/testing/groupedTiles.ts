/**
 * Tile folders with groups, made in code for the grouped-split tests: class folders of small PNG
 * tiles named as TCGA tiles are (`blk-<id>-TCGA-<TSS>-<patient>-01Z-00-DX1.png`, the patient in the
 * name), or with arbitrary names and a `file,group` CSV beside them. Each patient belongs to one
 * class (the labels are per patient) and has its own number of tiles.
 */
import { Rng } from '../../core/rng';
import type { InputFile } from '../types';
import { CLASS_COLOURS, tile } from './datasets';
import { encodePng, memFile } from './fixtures';

export interface GroupedFolder {
  files: (InputFile & { reads: number })[];
  /** The group of every image path. */
  groupOf: Map<string, string>;
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * `ROOT/<class>/` tiles of `patients` patients per class, `min`..`max` tiles each (seeded), 8 px.
 * `named`: TCGA barcodes in the names; otherwise names say nothing and `groupOf` is the truth.
 */
export function groupedTiles(
  root: string,
  classes: readonly string[],
  o: { patients: number; min: number; max: number; seed?: number; named: boolean; size?: number },
): GroupedFolder {
  const rng = new Rng(o.seed ?? 5);
  const size = o.size ?? 8;
  const files: (InputFile & { reads: number })[] = [];
  const groupOf = new Map<string, string>();
  let n = 0;
  classes.forEach((cls, c) => {
    for (let p = 0; p < o.patients; p++) {
      const patient = `TCGA-${ALPHA[c]}${ALPHA[p % 26]}-${String(1000 + c * 100 + p)}`;
      const count = o.min + rng.int(o.max - o.min + 1);
      for (let t = 0; t < count; t++) {
        const id = Array.from({ length: 12 }, () => ALPHA[rng.int(26)]).join('');
        const name = o.named ? `blk-${id}-${patient}-01Z-00-DX1.png` : `tile_${String(n++).padStart(4, '0')}_${id.toLowerCase()}.png`;
        const path = `${root}/${cls}/${name}`;
        files.push(memFile(path, encodePng(tile(size, CLASS_COLOURS[cls], n + t * 7 + c), true)));
        groupOf.set(path, o.named ? patient : `case-${c}-${p}`);
      }
    }
  });
  return { files, groupOf };
}

/** A `file,group` CSV of a folder's groups, paths relative to `relativeTo`. */
export function groupsCsv(groupOf: Map<string, string>, relativeTo = ''): string {
  const strip = (p: string) => (relativeTo && p.startsWith(`${relativeTo}/`) ? p.slice(relativeTo.length + 1) : p);
  return ['file,group', ...[...groupOf].map(([p, g]) => `${strip(p)},${g}`)].join('\n') + '\n';
}
