/**
 * Tiny seeded PRNG. Every generated value in the simulator comes from an Rng derived from
 * (seed, purpose, coordinates...) so that any record can be regenerated on its own
 * (random access), which is what lets exports stream lazily and lets expected*() helpers
 * reproduce exactly what a download contains.
 */

/** mulberry32: 32-bit state, good enough statistical quality for test data. Returns floats in [0,1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts followed by a murmur3 finaliser (FNV alone mixes the last characters poorly). */
export function hashParts(parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x7c; // separator so ('ab','c') != ('a','bc')
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Convenience wrapper around mulberry32. */
export class Rng {
  private readonly nextFloat: () => number;

  constructor(seed: number) {
    this.nextFloat = mulberry32(seed);
  }

  /** Float in [0,1). */
  next(): number {
    return this.nextFloat();
  }

  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.nextFloat() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** Uniform pick; the array must not be empty. */
  pick<T>(items: ReadonlyArray<T>): T {
    const item = items[Math.floor(this.nextFloat() * items.length)];
    if (item === undefined) throw new Error('Rng.pick on empty array');
    return item;
  }

  /** Lowercase hex string of n characters (used for fake signatures/tokens). */
  hex(n: number): string {
    let out = '';
    while (out.length < n) out += Math.floor(this.nextFloat() * 0x10000).toString(16).padStart(4, '0');
    return out.slice(0, n);
  }
}

/** A fresh Rng for (seed, ...coordinates). Same inputs → same sequence. */
export function rngFor(seed: number, ...parts: ReadonlyArray<string | number>): Rng {
  return new Rng(hashParts([seed, ...parts]));
}

/**
 * A 16-digit id that is unique by construction: prefix digit + 2 seed digits + 13 digits of
 * structured coordinates. Dialpad ids are ~16-digit int64 values kept below 2^53; so are these.
 */
export function structuredId(prefix: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8, seed: number, body13: string): string {
  if (body13.length !== 13) throw new Error(`structuredId body must be 13 digits, got ${body13}`);
  const seedDigits = String(hashParts(['id', seed]) % 100).padStart(2, '0');
  return `${prefix}${seedDigits}${body13}`;
}
