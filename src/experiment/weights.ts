/**
 * The weights files of an experiment: every file the spec's networks name is read once (through
 * `ReadWeights`: the studio's storage, or the disk on the command line), parsed and checked for
 * format and dtype on the CPU, then matched to its network (every key, every shape) before the
 * first run starts, so a bad file stops the experiment with one typed error naming the field, the
 * file and the key, and no run is lost to it.
 *
 * Owns: `ReadWeights`, `loadSessionWeights`. Runs in the worker and in Node.
 */
import { EngineError, isEngineError } from '../core/errors';
import type { ExperimentSpec } from '../core/spec';
import { checkWeightsFit, type WeightsLookup } from '../engine/interop/initialWeights';
import { readStateDict } from '../engine/interop/readWeights';
import type { StateDict } from '../engine/interop/stateDict';

/** The bytes of a weights file named by the spec, or null when there is no such file. */
export type ReadWeights = (file: string) => Promise<Uint8Array | null>;

/** The networks of a spec that name a weights file, with their spec field. */
export function weightsFields(spec: ExperimentSpec): { field: string; arch: string; width: number; file: string }[] {
  const out: { field: string; arch: string; width: number; file: string }[] = [];
  if (spec.teacher.weights) out.push({ field: 'teacher.weights', arch: spec.teacher.arch, width: spec.teacher.width ?? 1, file: spec.teacher.weights });
  spec.students.forEach((s, k) => {
    if (s.weights) out.push({ field: `students[${k}].weights`, arch: s.arch, width: s.width ?? 1, file: s.weights });
  });
  return out;
}

/** Read, parse and check every weights file of `spec`; undefined when it names none. */
export async function loadSessionWeights(spec: ExperimentSpec, classes: number, read: ReadWeights | undefined): Promise<WeightsLookup | undefined> {
  const fields = weightsFields(spec);
  if (fields.length === 0) return undefined;
  const parsed = new Map<string, StateDict>();
  for (const f of fields) {
    try {
      if (!parsed.has(f.file)) {
        const bytes = read ? await read(f.file) : null;
        if (!bytes) throw new EngineError('INVALID_CONFIG', `the weights file ${f.file} cannot be found`, f.file, { file: f.file });
        parsed.set(f.file, readStateDict(bytes, f.file));
      }
      checkWeightsFit(
        { arch: f.arch, width: f.width, task: spec.task, classes: spec.task === 'classify' ? classes : 2, inputSize: spec.inputSize },
        parsed.get(f.file)!,
      );
    } catch (e) {
      // The field goes in front, so the message says which network's file it is.
      if (isEngineError(e)) throw new EngineError(e.code, `${f.field}: ${e.message}`, e.subject, { ...e.details, field: f.field });
      throw e;
    }
  }
  return (file) => {
    const sd = parsed.get(file);
    if (!sd) throw new EngineError('INVALID_CONFIG', `The weights file ${file} was not read for this experiment`, file);
    return sd;
  };
}
