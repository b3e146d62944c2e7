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
  const used = new Set<string>();
  return raw.map((h) => {
    const base = normalizeHeader(h);
    let name = base;
    // A header may itself look like a generated duplicate (`x`, `x`, `x_2`): count up until the name is free.
    for (let n = 2; used.has(name); n++) name = `${base.slice(0, 63 - String(n).length - 1)}_${n}`;
    used.add(name);
    return name;
  });
}
