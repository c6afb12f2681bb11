#!/usr/bin/env node
// Entry point of the `cofre` command. Runs the bundled CLI (dist/cli/cofre.mjs: one file, starts faster),
// else the compiled one (dist/src-main/cli/main.js). `npm ci` runs `prepare`, which builds both.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns on every run about its future Node requirement; Cofre pins its own support.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const candidates = ['../dist/cli/cofre.mjs', '../dist/src-main/cli/main.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
const cli = candidates.find((p) => existsSync(p));
if (cli === undefined) {
  process.stderr.write('cofre: the CLI is not built yet. Run `npm run build` in the project folder, then try again.\n');
  process.exit(2);
}
await import(cli);
