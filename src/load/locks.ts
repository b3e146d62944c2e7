/**
 * Cross-process mutual exclusion with Postgres advisory locks. A session lock must be released on the session that
 * took it, so the lock holds one pooled connection for the duration of `fn` (stack-notes §6).
 */
import type pg from 'pg';

const WINDOW_LOCK_NAMESPACE = 0x44505749; // 'DPWI'

/** Runs `fn` while holding the lock named `name`; resolves `{ locked: true }` without running it if another session holds it. */
export async function withTryLock<T>(pool: pg.Pool, name: string, fn: () => Promise<T>): Promise<{ readonly locked: false; readonly value: T } | { readonly locked: true }> {
  const client = await pool.connect();
  let held = false;
  try {
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [WINDOW_LOCK_NAMESPACE, name]);
    held = rows[0]?.ok === true;
    if (!held) return { locked: true };
    return { locked: false, value: await fn() };
  } finally {
    if (held) await client.query('select pg_advisory_unlock($1, hashtext($2))', [WINDOW_LOCK_NAMESPACE, name]).catch(() => {});
    client.release();
  }
}

/**
 * Runs `fn` under the lock named `name`, waiting (polling every `pollMs`, abortable) while another session holds
 * it: a window another process is working on is waited for, then the caller can see it loaded and skip it.
 */
export async function withLock<T>(
  pool: pg.Pool,
  name: string,
  fn: () => Promise<T>,
  opts: { readonly signal?: AbortSignal; readonly pollMs?: number; readonly onWait?: () => void } = {},
): Promise<T> {
  let waited = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    const r = await withTryLock(pool, name, fn);
    if (!r.locked) return r.value;
    if (!waited) opts.onWait?.();
    waited = true;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, opts.pollMs ?? 1000);
      opts.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(opts.signal!.reason as Error);
      }, { once: true });
    });
  }
}
