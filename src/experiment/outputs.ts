/**
 * The three output files of an experiment. No TensorFlow.js: the studio's main thread writes them
 * for "Download results".
 */
import { tableCsv, tableMarkdown } from './aggregate';
import { stringifyNonFinite } from './resultsFile';
import type { ExperimentResult } from '../core/results';

/** The three output files of an experiment: everything, the table as CSV, the table as Markdown. */
export function experimentOutputs(r: ExperimentResult): { 'results.json': string; 'table.csv': string; 'table.md': string } {
  return {
    'results.json': stringifyNonFinite(r, 2),
    'table.csv': tableCsv(r.table),
    'table.md': `# ${r.spec.name}\n\n${tableMarkdown(r.table)}`,
  };
}
