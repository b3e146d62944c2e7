/**
 * CSV header names → column names. Typed columns keep the export's own header names so an analyst can find them in
 * Dialpad's docs; a header such as "Date Started" becomes `date_started`.
 */
export function normalizeHeader(raw: string): string {
  const s = raw
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/%/g, ' pct ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const name = s === '' ? 'column' : /^\d/.test(s) ? `c_${s}` : s;
  // Postgres truncates identifiers at 63 bytes; two long headers must not collide silently.
  return name.slice(0, 63);
}

/** Normalised, de-duplicated names (`x`, `x_2`, …) in header order. */
export function normalizeHeaders(raw: ReadonlyArray<string>): ReadonlyArray<string> {
  const seen = new Map<string, number>();
  return raw.map((h) => {
    const base = normalizeHeader(h);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base.slice(0, 60)}_${n}`;
  });
}
