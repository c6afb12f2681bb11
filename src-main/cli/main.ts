/**
 * The `cofre` command. Each subcommand is a thin adapter: parse options, call a service in
 * src-main, print the result (human text, or one JSON document with --json).
 */
import { Command, CommanderError } from 'commander';
import { runCommand, type GlobalOptions } from './run.js';
import { registerCommands } from './commands/index.js';
import { addHelpExamples } from './help.js';
import { tuneHeapForStreaming } from '../app/heap.js';

tuneHeapForStreaming();

// Once nothing is left to do (the event loop is empty: every write, close and clean-up has
// ended), end at once. Left to itself, Node then frees the whole V8 heap page by page before
// exiting: 0.1–0.4 s after a backup, measured, which no one waits for usefully.
process.once('beforeExit', () => process.exit());

const program = new Command();
program
  .name('cofre')
  .description('Backs up the clinic server over SSH into encrypted, off-site storage, and proves it can restore it.')
  .option('-c, --config <file>', 'config file (default: $COFRE_CONFIG, else ./cofre.yaml)')
  .option('--json', 'print one JSON document on stdout (logs go to stderr)')
  .showHelpAfterError('(run `cofre --help` for the commands, `cofre <command> --help` for options)')
  .exitOverride();

registerCommands(program, (body) => async (...args: unknown[]) => {
  const cmd = args[args.length - 1] as Command;
  await runCommand(cmd.optsWithGlobals<GlobalOptions>(), (ctx, out) => body(ctx, out, cmd.opts() as never, ...(args.slice(0, -2) as string[])));
});
addHelpExamples(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    throw err;
  }
}
