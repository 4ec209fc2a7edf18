/**
 * The command line's reading of `data.groups`: "none", "auto", or the path of a `file,group` CSV
 * relative to the spec file, read here and handed to the import as text; and the lines it prints
 * about the groups the import found and the split it made.
 *
 * Node only (fs). Imports core and data types.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ExperimentSpec } from '../core/spec';
import type { GroupSource, ImportReport } from '../data/types';

/** The import's group source for a spec read from `specPath`; throws with the path when the CSV cannot be read. */
export async function groupSourceOf(spec: ExperimentSpec, specPath: string): Promise<GroupSource> {
  const g = spec.data.groups ?? 'auto';
  if (g === 'none' || g === 'auto') return { kind: g };
  const path = resolve(dirname(specPath), g);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`data.groups: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { kind: 'csv', name: g, text };
}

/** What the import did with groups, as lines for the console. */
export function groupLines(report: ImportReport): string[] {
  const g = report.groups;
  if (!g) return [];
  const lines = g.evidence.map((e) => `groups: ${e}`);
  if (g.source !== 'none') {
    lines.push(
      `groups: ${g.groups} group(s); ${g.grouped} image(s) with a group, ${g.ungrouped} without; per set: train ${g.perSet.train}, validation ${g.perSet.val}, test ${g.perSet.test}; groups in both sets: ${g.groupsInBoth}`,
    );
  }
  for (const n of g.notes) lines.push(`groups: ${n}`);
  return lines;
}
