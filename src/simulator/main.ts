/**
 * Manual-poking entry point: `npx tsx src/simulator/main.ts [--port N] [--download-port N]
 * [--seed N] [--api-key KEY] [--calls-per-day N]`. Prints the base URLs and the API key and
 * runs until Ctrl-C.
 */
import { startSimulator } from './index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function intArg(name: string): number | undefined {
  const v = arg(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} expects a non-negative integer, got ${v}`);
    process.exit(2);
  }
  return n;
}

const port = intArg('--port');
const downloadPort = intArg('--download-port');
const seed = intArg('--seed');
const callsPerDay = intArg('--calls-per-day');
const apiKey = arg('--api-key');

const sim = await startSimulator({
  ...(port !== undefined ? { port } : {}),
  ...(downloadPort !== undefined ? { downloadPort } : {}),
  ...(seed !== undefined ? { seed } : {}),
  ...(apiKey !== undefined ? { apiKey } : {}),
  ...(callsPerDay !== undefined ? { data: { callsPerDay } } : {}),
});

console.log(`Dialpad simulator listening`);
console.log(`  base URL:     ${sim.baseUrl}`);
console.log(`  download URL: ${sim.downloadBaseUrl}`);
console.log(`  API key:      ${sim.apiKey}`);
console.log(`Try: curl -H 'Authorization: Bearer ${sim.apiKey}' ${sim.baseUrl}/api/v2/company`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
