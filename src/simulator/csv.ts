/**
 * RFC 4180 CSV encoding as Dialpad-like exports use it: UTF-8 with BOM, CRLF record separators,
 * header row, fields quoted only when needed, quotes doubled inside quoted fields.
 * Encoding is lazy (a generator of Buffers) so million-row exports never exist as one string.
 */

/** One data row of an export. `valid:false` rows are deliberately malformed and excluded from expected data. */
export interface CsvRow {
  readonly values: ReadonlyArray<string>;
  readonly valid: boolean;
}

/** A complete export: header plus a re-iterable row source (each call starts a fresh pass). */
export interface CsvTable {
  readonly header: ReadonlyArray<string>;
  rows(): Iterable<CsvRow>;
}

export const BOM = '\uFEFF';

const NEEDS_QUOTES = /[",\r\n]/;

/** One field, quoted only when it contains a comma, a quote or a line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record including its CRLF terminator. */
export function csvLine(values: ReadonlyArray<string>): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += csvField(values[i]!);
  }
  return out + '\r\n';
}

/** Encodes a table as UTF-8 Buffers of roughly `chunkBytes` each (BOM + header first). */
export function* csvChunks(table: CsvTable, chunkBytes = 64 * 1024): Generator<Buffer> {
  let pending = BOM + csvLine(table.header);
  for (const row of table.rows()) {
    pending += csvLine(row.values);
    // String length approximates bytes; exactness does not matter for chunking.
    if (pending.length >= chunkBytes) {
      yield Buffer.from(pending, 'utf8');
      pending = '';
    }
  }
  if (pending.length > 0) yield Buffer.from(pending, 'utf8');
}

/** Expected data: the valid rows as header→value records, exactly what a CSV parser should return. */
export function tableRecords(table: CsvTable): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const row of table.rows()) {
    if (!row.valid) continue;
    const rec: Record<string, string> = {};
    table.header.forEach((h, i) => {
      rec[h] = row.values[i] ?? '';
    });
    out.push(rec);
  }
  return out;
}

/** Builds a table from a row-producing function (re-run on every pass). */
export function table(header: ReadonlyArray<string>, rows: () => Iterable<CsvRow>): CsvTable {
  return { header, rows };
}

/** Wraps plain value arrays as valid rows. */
export function* validRows(source: Iterable<ReadonlyArray<string>>): Generator<CsvRow> {
  for (const values of source) yield { values, valid: true };
}
