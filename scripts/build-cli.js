#!/usr/bin/env node
// Builds the `cofre` command (bin/cofre.js runs dist/cli/main.js) as one ES module per command
// with esbuild, from the TypeScript sources. Why: a backup started from the command line (or
// cron) waits for Node to load the engine before its first SSH byte, and loading zod, yaml and
// commander as hundreds of small modules cost ~65 ms of it; bundled they load in one read each.
// Packages with native parts (ssh2, better-sqlite3) or that load only on demand (the AWS SDK)
// stay in node_modules. tsc still compiles src-main/ to dist/src-main/ for Electron.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = fileURLToPath(new URL('../dist/cli', import.meta.url));

/** Pure-JS packages on every command's start-up path: bundled. Every other package stays external. */
const BUNDLED = new Set(['zod', 'yaml', 'commander', 'croner', '@scure/base']);

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src-main/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true, // each command's code loads only when that command runs (cli/commands/index.ts)
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  // commander is CommonJS: its require() calls need a real require in an ES module
  banner: { js: "import { createRequire as cofreCreateRequire } from 'node:module';\nconst require = cofreCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
