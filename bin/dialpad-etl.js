#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: no build step to forget, the same code the tests run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv);
