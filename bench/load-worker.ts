/**
 * Child process of the load benchmark: downloads the CSV from a local HTTP server through the real Dialpad client
 * (no key sent, idle timeout, truncation check) and loads it into dialpad.calls through the production path.
 * Prints one JSON line with its timings and its own peak RSS, so the generator's memory is not counted.
 */
import { createDialpadClient } from '../src/extract/client.js';
import { silentLogger } from '../src/logger.js';
import { openDatabase } from '../src/load/database.js';
import { calls } from '../src/streams/stats/calls.js';
import { tableSpecOf } from '../src/streams/index.js';
import { loadCsv } from '../src/streams/load-csv.js';

const [url, databaseUrl, parallelism] = process.argv.slice(2) as [string, string, string];
const logger = silentLogger();
const handle = await openDatabase({ databaseUrl, dataDir: '.', logger, poolSize: 6 });
const client = createDialpadClient({
  apiKey: 'unused',
  baseUrl: 'http://127.0.0.1:1',
  limiter: { acquire: async () => {} },
  logger,
  requestTimeoutMs: 30_000,
  downloadIdleTimeoutMs: 60_000,
  retry: { maxAttempts: 1, baseMs: 0, maxMs: 0 },
});
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
const t0 = performance.now();
const body = await client.download(url);
// BENCH_CHUNK_MB: staging table size (loadCsv's chunkBytes), for tuning; default: loadCsv's own.
const chunkBytes = process.env['BENCH_CHUNK_MB'] ? Number(process.env['BENCH_CHUNK_MB']) * 1024 * 1024 : undefined;
const result = await loadCsv({ pool: handle.pool, logger, parallelism: Number(parallelism), ...(chunkBytes ? { chunkBytes } : {}) }, {
  spec: tableSpecOf(calls),
  stream: 'calls',
  exportId: '1',
  runId: null,
  body,
  reopen: () => client.download(url),
  timezone: 'America/New_York',
});
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
await handle.close();
process.stdout.write(JSON.stringify({ seconds, result, peakRssBytes: peak }) + '\n');
