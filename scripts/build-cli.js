#!/usr/bin/env node
// Bundles the compiled CLI (dist/src-main/cli/main.js, from `tsc`) into dist/cli/cofre.mjs, so `cofre`
// starts without resolving and reading hundreds of modules (issue 15: start-up time). What the code
// imports dynamically (the AWS SDK, nodemailer) goes into chunks next to it, read only when used.
// bin/cofre.js runs the bundle when present. The Electron main process keeps using dist/src-main.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodeModules = resolve(root, 'node_modules');
const outdir = resolve(root, 'dist', 'cli');
const posix = (p) => p.split(sep).join('/');

/**
 * Native addons stay outside the bundle: `require('./build/Release/x.node')` inside a package becomes
 * `require('pkg/build/Release/x.node')`, loaded from node_modules at run time.
 */
const nativeAddonsExternal = {
  name: 'native-addons-external',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => {
      const rel = relative(nodeModules, resolve(args.resolveDir, args.path));
      if (rel.startsWith('..')) throw new Error(`native addon outside node_modules: ${args.path} (from ${args.importer})`);
      return { path: posix(rel), external: true };
    });
  },
};

/**
 * CommonJS files that use __dirname/__filename (ssh2's poly1305 and its Pageant agent) get them back,
 * pointing at the file's own place under node_modules (found from the bundle's place at run time;
 * not import.meta.url itself, which would make esbuild treat the CommonJS file as ESM).
 */
const commonJsDirname = {
  name: 'commonjs-dirname',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      const fromBundle = JSON.stringify(posix(relative(outdir, args.path)));
      const prologue = `var __filename = require('node:url').fileURLToPath(new URL(${fromBundle}, __cofreBundleUrl)); var __dirname = require('node:path').dirname(__filename);\n`;
      return { contents: prologue + source, loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true }); // no chunks of an earlier build left behind
await build({
  entryPoints: { cofre: resolve(root, 'dist', 'src-main', 'cli', 'main.js') },
  outdir,
  outExtension: { '.js': '.mjs' },
  // chunks in the same folder as cofre.mjs: the paths that commonJsDirname computes are relative to it
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // A package's ESM build first (the AWS SDK's dist-es): the code imports the SDK dynamically, and
  // esbuild's chunk of a CommonJS package exports only `default`, so `sdk.S3Client` would be missing.
  mainFields: ['module', 'main'],
  // Packages that load a native addon as their main module.
  external: ['better-sqlite3', 'cpu-features'],
  plugins: [nativeAddonsExternal, commonJsDirname],
  // Bundled CommonJS packages (ssh2, the AWS SDK…) call require(); give each ESM file a real one.
  banner: { js: "import { createRequire as __cofreCreateRequire } from 'node:module';\nconst require = __cofreCreateRequire(import.meta.url);\nconst __cofreBundleUrl = import.meta.url;" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
