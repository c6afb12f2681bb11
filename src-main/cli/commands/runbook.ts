/** `cofre runbook [--out FILE]`: the restore procedure for this config, in Markdown. */
import { writeFileSync } from 'node:fs';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import { runbookMarkdown } from '../../restore/runbook.js';

export function runbookCommand(ctx: AppContext, out: Output, o: { out?: string }): number {
  const text = runbookMarkdown(ctx.config, { configPath: ctx.configPath, generatedAt: ctx.now().toISOString() });
  if (o.out) {
    writeFileSync(o.out, text, { mode: 0o644 });
    out.result({ path: o.out, bytes: Buffer.byteLength(text) }, () => `Runbook written to ${o.out}`);
  } else {
    out.result({ markdown: text }, () => text);
  }
  ctx.catalog.audit(ctx.actor, 'runbook.write', o.out ?? '(stdout)');
  return 0;
}
