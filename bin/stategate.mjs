#!/usr/bin/env node
// `npx stategate`: the CLI built by `npm run build` (tsc, src/cli → dist/cli; `npm install` builds it).
import { runCli } from '../dist/cli/main.js';

// `serve` returns once the server started (it then owns the process); a client command once it is done.
process.exitCode = await runCli(process.argv.slice(2));
