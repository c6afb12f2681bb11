/** Runs one command body with the shared context, output and error handling (exit codes per DESIGN.md). */
import { AppContext } from '../app/context.js';
import { Output } from './output.js';
import { CofreError } from '../errors.js';

export interface GlobalOptions {
  config?: string;
  json?: boolean;
}

export type CommandBody = (ctx: AppContext, out: Output) => Promise<number | void> | number | void;

export async function runCommand(globals: GlobalOptions, body: CommandBody): Promise<void> {
  const out = new Output({ json: Boolean(globals.json) });
  const ctx = new AppContext({
    configFlag: globals.config,
    // a passphrase-protected identity can be unlocked on the terminal when its env var is not set
    ...(process.stdin.isTTY ? { askSecret: async (question: string, what: string) => (await import('./prompt.js')).askSecret(question, what) } : {}),
  });
  try {
    const code = await body(ctx, out);
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    out.error(err);
    if (!(err instanceof CofreError) && process.env['COFRE_DEBUG']) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    process.exitCode = err instanceof CofreError && err.code === 'INVALID_ARGUMENT' ? 2 : 1;
  } finally {
    ctx.close();
  }
}
