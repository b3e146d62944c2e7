/**
 * A streaming RFC 4180 record splitter for the bulk path. It does not parse values: it finds record boundaries
 * (quotes, doubled quotes, embedded newlines, CRLF), counts fields, strips the BOM and hands back runs of complete,
 * well-formed records as byte slices, ready for `COPY … FROM STDIN (FORMAT csv)`. Postgres then parses and types
 * them, which is what lets the load keep up with `psql \copy`. Records with the wrong number of fields are handed
 * to `onBadRecord` (the quarantine), never dropped. A body that ends inside a quoted field or in a short final
 * record without a newline was cut off in transit: that is a TruncatedCsvError, and the export must be fetched again.
 */
import { parse as parseSync } from 'csv-parse/sync';

export interface BadRecord {
  /** 1-based data record number (the header is record 0). */
  readonly recordNo: number;
  readonly raw: string;
  readonly reason: string;
}

export interface CsvScanHandlers {
  /** Called once with the header's fields (as written, BOM removed). */
  onHeader(fields: ReadonlyArray<string>): Promise<void> | void;
  /** A run of complete records, each ending with a newline. The buffer may be reused by the caller after it resolves. */
  onRecords(slice: Buffer, count: number): Promise<void> | void;
  onBadRecord(bad: BadRecord): Promise<void> | void;
}

export interface CsvScanResult {
  readonly records: number;
  readonly badRecords: number;
  readonly bytes: number;
}

export class TruncatedCsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TruncatedCsvError';
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export async function scanCsv(source: AsyncIterable<Buffer | Uint8Array | string>, h: CsvScanHandlers): Promise<CsvScanResult> {
  let headerFields = -1;
  let records = 0;
  let bad = 0;
  let bytes = 0;
  let carry = null as Buffer | null;
  // The first bytes are held until there are 3 of them: a BOM may arrive split across chunks.
  let head: Buffer | null = Buffer.alloc(0);
  // COPY wants one line ending per file: the terminator seen on the header is reused when one must be added.
  let eol = '\n';
  // Scanner state carried across chunks.
  let inQuotes = false;
  let fields = 1;

  const stripBom = (b: Buffer): Buffer => (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b);

  const processChunk = async (chunk: Buffer): Promise<void> => {
    const resumeAt = carry === null ? 0 : carry.length;
    const data: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
    carry = null;
    let recStart = 0;
    let runStart = -1; // start of the current run of good records
    let runCount = 0;
    const n = data.length;
    for (let i = resumeAt; i < n; i++) {
      const c = data[i]!;
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (inQuotes) continue;
      else if (c === COMMA) fields++;
      else if (c === LF) {
        const end = i + 1;
        const len = i - recStart - (i > recStart && data[i - 1] === CR ? 1 : 0);
        if (len === 0) {
          // Blank line: COPY would read it as a one-column row; skip it.
          if (runStart !== -1) {
            await h.onRecords(data.subarray(runStart, recStart), runCount);
            runStart = -1;
            runCount = 0;
          }
        } else if (headerFields === -1) {
          headerFields = fields;
          eol = i > recStart && data[i - 1] === CR ? '\r\n' : '\n';
          await h.onHeader(parseHeader(data.subarray(recStart, recStart + len)));
        } else if (fields === headerFields) {
          records++;
          if (runStart === -1) runStart = recStart;
          runCount++;
        } else {
          records++;
          bad++;
          if (runStart !== -1) {
            await h.onRecords(data.subarray(runStart, recStart), runCount);
            runStart = -1;
            runCount = 0;
          }
          await h.onBadRecord({ recordNo: records, raw: data.toString('utf8', recStart, recStart + len), reason: `expected ${headerFields} fields, found ${fields}` });
        }
        recStart = end;
        fields = 1;
      }
    }
    if (runStart !== -1) await h.onRecords(data.subarray(runStart, recStart), runCount);
    if (recStart < n) carry = Buffer.from(data.subarray(recStart));
  };

  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    bytes += chunk.length;
    if (head !== null) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) continue;
      const start = stripBom(head);
      head = null;
      await processChunk(start);
    } else await processChunk(chunk);
  }
  if (head !== null && head.length > 0) await processChunk(stripBom(head));

  if (carry !== null && carry.length > 0) {
    const text = carry.toString('utf8');
    if (inQuotes) throw new TruncatedCsvError(`CSV ends inside a quoted field after record ${records} (body cut off?)`);
    if (text.replace(/\r$/, '') !== '') {
      if (headerFields === -1) {
        headerFields = fields;
        await h.onHeader(parseHeader(carry));
      } else if (fields < headerFields) {
        throw new TruncatedCsvError(`CSV ends with a short record of ${fields}/${headerFields} fields and no newline (body cut off?)`);
      } else if (fields === headerFields) {
        records++;
        const body = carry[carry.length - 1] === CR ? carry.subarray(0, carry.length - 1) : carry;
        await h.onRecords(Buffer.concat([body, Buffer.from(eol)]), 1);
      } else {
        records++;
        bad++;
        await h.onBadRecord({ recordNo: records, raw: text, reason: `expected ${headerFields} fields, found ${fields}` });
      }
    }
  }
  if (headerFields === -1) throw new TruncatedCsvError('CSV has no header row (empty body)');
  return { records, badRecords: bad, bytes };
}

function parseHeader(bytes: Buffer): ReadonlyArray<string> {
  const rows = parseSync(bytes, { bom: true, relax_column_count: true }) as string[][];
  return rows[0] ?? [];
}
