/** Minimal RFC 4180 CSV reader for the recorded market data in /work/shared/data (tests only). */
import { readFileSync } from 'node:fs';

export const DATA_DIR = '/work/shared/data';

export function readCsv(name: string): Record<string, string>[] {
  const text = readFileSync(`${DATA_DIR}/${name}`, 'utf8');
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  if (header === undefined) return [];
  return body
    .filter((r) => r.length === header.length)
    .map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]!])));
}

/** Number from a CSV cell; undefined for a blank cell. */
export function num(cell: string | undefined): number | undefined {
  if (cell === undefined || cell.trim() === '') return undefined;
  const v = Number(cell);
  return Number.isFinite(v) ? v : undefined;
}
