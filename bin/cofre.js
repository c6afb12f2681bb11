#!/usr/bin/env node
// Entry point of the `cofre` command. Runs the compiled CLI (npm ci runs `prepare`, which builds it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns on every run about its future Node requirement; Cofre pins its own support.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const cli = fileURLToPath(new URL('../dist/src-main/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('cofre: the CLI is not built yet. Run `npm run build` in the project folder, then try again.\n');
  process.exit(2);
}
await import(cli);
