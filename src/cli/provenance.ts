/**
 * Content hashes of what an experiment was made from, recorded in results.json (`provenance`) and
 * beside its checkpoints, so a merge can check that its parts come from the same spec and dataset,
 * and a `--resume` that it continues the same experiment, whatever the paths were.
 *
 * Owns: `specHash`, `datasetHash`. Node only (node:crypto); no TensorFlow.js.
 */
import { createHash } from 'node:crypto';
import type { ExperimentSpec } from '../core/spec';
import type { Study } from '../experiment/session';

/** JSON with every object's keys sorted, so equal values give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** SHA-256 (hex) of a parsed spec as canonical JSON. */
export function specHash(spec: ExperimentSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/**
 * SHA-256 (hex) of a study as the experiment sees it: every image's pixels at the stored size, the
 * labels, boxes and file names (below the dataset's folder, whatever it is called) in order, the
 * class names and the folder-given split.
 */
export function datasetHash(study: Study): string {
  const s = study.samples;
  const h = createHash('sha256');
  h.update(
    canonicalJson({
      count: s.count,
      size: s.size,
      classNames: study.info.classNames ?? null,
      given: study.given ?? null,
      ids: s.ids?.map((id) => id.slice(id.indexOf('/') + 1)) ?? null,
    }),
  );
  h.update(s.images);
  if (s.labels) h.update(new Uint8Array(s.labels.buffer, s.labels.byteOffset, s.labels.byteLength));
  if (s.boxes) h.update(new Uint8Array(s.boxes.buffer, s.boxes.byteOffset, s.boxes.byteLength));
  return h.digest('hex');
}
