#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build writes dist/).
import { setFlagsFromString } from 'node:v8';

// The controller (`tend up`) runs for days with a small, steady heap: V8's young generation
// would otherwise grow to 16 MB per semi-space after the first burst of allocation (bring-up)
// and stay committed. Kept at its initial 1 MB, the controller stays about 14 MB smaller, for a
// few more (short) scavenges. Set before anything is allocated; short commands keep the default.
if (process.argv[2] === 'up') setFlagsFromString('--semi-space-growth-factor=1');

const { main } = await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tend: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
