#!/usr/bin/env node
// `npm start` runs the built server; this rebuilds it first only when a source is newer than the build
// (tsc takes tens of seconds, a start should take well under two). `npm install` builds (`prepare`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUILT = 'dist/main.js';
const INPUTS = ['src', 'tsconfig.json'];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a file renamed or removed changes its directory's time
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

let builtAt = 0;
try {
  builtAt = statSync(BUILT).mtimeMs;
} catch {
  // never built
}
const TSC = 'node_modules/typescript/bin/tsc';
if (!existsSync(TSC) && builtAt > 0) {
  // An install without devDependencies (a production image) keeps the build it was given.
  process.exit(0);
}
if (INPUTS.some((input) => newestMtime(input) > builtAt)) {
  process.stderr.write('stategate: sources changed since the last build, building…\n');
  const tsc = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

// The web console (console/, built by Vite into dist/console): rebuilt the same way, when one of its sources
// is newer than its build. Without Vite (a production install) the console build it was given stays.
const CONSOLE_BUILT = 'dist/console/index.html';
const VITE = 'node_modules/vite/bin/vite.js';
let consoleBuiltAt = 0;
try {
  consoleBuiltAt = statSync(CONSOLE_BUILT).mtimeMs;
} catch {
  // never built
}
if (existsSync(VITE) && existsSync('console') && newestMtime('console') > consoleBuiltAt) {
  process.stderr.write('stategate: console sources changed since the last build, building the console…\n');
  const vite = spawnSync(process.execPath, [VITE, 'build', '--config', 'console/vite.config.ts'], {
    stdio: 'inherit',
  });
  if (vite.status !== 0) process.exit(vite.status ?? 1);
}
