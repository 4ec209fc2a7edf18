/**
 * CSV cells and rows for every CSV the studio and the command line write (table.csv,
 * predictions.csv, and any later one): quoted where RFC 4180 needs it, and safe to open in a
 * spreadsheet. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be
 * read as a formula by Excel, LibreOffice and Google Sheets (a folder named `=HYPERLINK(...)` becomes
 * a link), so it is written with a leading apostrophe, as OWASP's CSV-injection advice says.
 * Numbers are written as numbers: a negative number is not text and is never escaped.
 *
 * Owns: cell escaping and row joining. Imports nothing.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: numbers as they are (empty for NaN and null), text quoted where needed and defused. */
export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line of cells, without its line break. */
export function csvRow(cells: readonly CsvValue[]): string {
  return cells.map(csvCell).join(',');
}

/** A whole file: a header line, then one line per row, each ending in a line break. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [csvRow(header), ...rows.map(csvRow)].join('\n') + '\n';
}
