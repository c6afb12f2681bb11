/** Registers every subcommand. Bodies receive (ctx, out, options, ...positional args). */
import type { Command } from 'commander';
import type { AppContext } from '../../app/context.js';
import type { Output } from '../output.js';
import type { RestoreCliOptions } from './restore.js';
import type { UiOptions } from './ui.js';
import type { DemoOptions } from './demo.js';

// Command bodies are imported when their command runs: `cofre --help` or `cofre status` should
// not pay for loading the S3 SDK, ssh2 and the console server.

export type Body<O = Record<string, unknown>> = (ctx: AppContext, out: Output, opts: O, ...args: string[]) => Promise<number | void> | number | void;
export type Wrap = <O>(body: Body<O>) => (...args: unknown[]) => Promise<void>;

export function registerCommands(program: Command, wrap: Wrap): void {
  program
    .command('init')
    .description('write a starter config, create an age identity (prints the public recipient) and the manifest signing key')
    .option('--force', 'replace an existing config (the identity file is never overwritten)')
    .option('--identity <file>', 'where to keep the age identity (default: $COFRE_HOME/identity.txt)')
    .option('--storage-path <dir>', 'folder for the starter "local" storage (default: $COFRE_HOME/storage)')
    .option('--passphrase', 'store the identity encrypted with a passphrase (age scrypt): from $COFRE_IDENTITY_PASSPHRASE, else asked on the terminal')
    .action(wrap<{ force?: boolean; identity?: string; storagePath?: string; passphrase?: boolean }>(async (ctx, out, o) => {
      const { runInit, printInit } = await import('./init.js');
      printInit(out, await runInit(ctx, o));
    }));

  program
    .command('trust <server>')
    .description("show the server's SHA-256 host-key fingerprint and pin it in the config")
    .option('-y, --yes', 'pin without asking')
    .option('--replace', 'replace a pinned key that changed (after checking it on the server console)')
    .action(wrap<{ yes?: boolean; replace?: boolean }>(async (ctx, out, o, server) => {
      const { runTrust, printTrust } = await import('./trust.js');
      const r = await runTrust(ctx, out, server ?? '', { yes: Boolean(o.yes), replace: Boolean(o.replace) });
      printTrust(out, r);
      return r.login.ok ? 0 : 1;
    }));

  program
    .command('status')
    .description('per plan: last good set, its age, RPO state (ok / late / failing), next run')
    .option('--offline', 'do not read storage; use the sets last seen')
    .option('--check', 'exit 1 unless every plan is ok and no drill is overdue or failing (for monitoring scripts)')
    .action(wrap<{ offline?: boolean; check?: boolean }>(async (ctx, out, o) => {
      const { runStatus, printStatus } = await import('./status.js');
      const r = await runStatus(ctx, out, o);
      printStatus(out, r, ctx);
      const healthy = r.plans.every((p) => p.rpoState === 'ok') && !r.drill.overdue && !r.drill.failing;
      return o.check && !healthy ? 1 : 0;
    }));

  program
    .command('backup')
    .description('run a plan now: dump, encrypt, store, then write the manifest')
    .option('-p, --plan <plan>', 'the plan (default: the only plan)')
    .action(wrap<{ plan?: string }>(async (ctx, out, o) => (await import('./backup.js')).backupCommand(ctx, out, o)));

  program
    .command('sets')
    .description('list backup sets (restore points) from storage')
    .option('-p, --plan <plan>', 'only this plan')
    .option('--storage <name>', 'only this storage (default: every storage, each on its own)')
    .action(wrap<{ plan?: string; storage?: string }>(async (ctx, out, o) => (await import('./backup.js')).setsCommand(ctx, out, o)));

  program
    .command('verify <setId>')
    .description('check a set: objects and sizes; --deep reads every byte: hashes, decrypts and reads the dumps (exit 1 when a check failed or could not be made, e.g. pg_restore missing)')
    .option('--deep', 'download, hash, decrypt and validate every object whole')
    .option('--storage <name>', 'the storage holding the set (default: search all)')
    .action(wrap<{ deep?: boolean; storage?: string }>(async (ctx, out, o, setId) => (await import('./backup.js')).verifyCommand(ctx, out, o, setId ?? '')));

  program
    .command('files <setId>')
    .description("list a set's file entries (paths as on the server); format 2 decrypts only the index")
    .option('--path <prefix>', 'only entries at or under this absolute path')
    .option('--storage <name>', 'the storage holding the set (default: search all)')
    .action(wrap<{ path?: string; storage?: string }>(async (ctx, out, o, setId) => (await import('./files.js')).filesCommand(ctx, out, o, setId ?? '')));

  program
    .command('prune')
    .description('apply retention: delete sets older than the policy (never below keepMin, never when backups are stale)')
    .option('-p, --plan <plan>', 'only this plan (default: every plan)')
    .option('--dry-run', 'show what would be deleted, delete nothing')
    .option('--now <iso>', 'evaluate the policy as of this instant')
    .action(wrap<{ plan?: string; dryRun?: boolean; now?: string }>(async (ctx, out, o) => (await import('./prune.js')).pruneCommand(ctx, out, o)));

  program
    .command('forget <setId>')
    .description('delete one set on purpose, whatever its state (audited; manifest first)')
    .option('-y, --yes', 'confirm the deletion')
    .option('--storage <name>', 'the storage holding the set (needed when several hold that id)')
    .option('--force', "also delete the newest complete set of its plan (its latest restore point)")
    .action(wrap<{ yes?: boolean; force?: boolean; storage?: string }>(async (ctx, out, o, setId) => (await import('./forget.js')).forgetCommand(ctx, out, o, setId ?? '')));

  const kept = program
    .command('kept')
    .description('list the copies restores kept of what they replaced (safety folders, <name>_antes_/<name>_old_ databases and folders) on their targets')
    .option('-t, --target <target>', 'only this restore target')
    .option('--all', 'also those no longer on the target')
    .action(wrap<{ target?: string; all?: boolean }>(async (ctx, out, o) => (await import('./kept.js')).keptCommand(ctx, out, o)));
  kept
    .command('remove <name>')
    .description('remove one kept copy on purpose (audited); the newest copy of what it replaced needs --force')
    .option('-t, --target <target>', 'the restore target holding it (needed when several do)')
    .option('-y, --yes', 'confirm the removal')
    .option('--force', 'also remove the newest copy (the only way back from the last restore)')
    .action(wrap<{ target?: string; yes?: boolean; force?: boolean }>(async (ctx, out, o, name) => (await import('./kept.js')).keptRemoveCommand(ctx, out, o, name ?? '')));

  program
    .command('daemon')
    .description('run the scheduler, the watchdog and the alerts (headless; see assets/systemd/cofre.service for systemd)')
    .option('--tick <ms>', 'how often the schedule is checked, in ms (default 15000)')
    .option('--ui', 'also serve the console on 127.0.0.1 (`cofre ui` then opens it)')
    .option('--port <port>', 'with --ui: listen on this port (default: a free port)')
    .action(wrap<{ tick?: string; ui?: boolean; port?: string }>(async (ctx, out, o) => (await import('./daemon.js')).daemonCommand(ctx, out, o)));

  program
    .command('restore [setId]')
    .description('restore a set (or the newest at/before --at) into a restore target: preflight, transfer, validate, report')
    .option('--at <iso>', 'data as of: the newest complete set that finished at or before this instant')
    .option('--storage <name>', 'only this storage (needed when a storage that may hold a newer set does not answer)')
    .option('-t, --target <target>', 'the restore target (restoreTargets in the config)')
    .option('--sources <list>', 'only these sources of the set, comma-separated')
    .option('-y, --yes', 'do not ask (production also needs --confirm-name)')
    .option('--confirm-name <name>', "production: the target's name, typed")
    .option('--incident-start <iso>', 'when the incident was declared (the RTO clock starts there)')
    .option('--verify-hashes', 'read every stored object whole in preflight: SHA-256, decryption (default for sets up to 2 GiB; production: always)')
    .option('--jobs <n>', 'pg_restore parallel jobs (stages each dump in a temp file on the target)')
    .option('--rename-existing', 'staging: rename existing restore databases/folders aside instead of refusing')
    .option('--globals', 'staging: apply the PostgreSQL roles/globals too')
    .option('--path <path>', 'only this file or folder (absolute, as on the server; repeatable); databases are left out', (v: string, prev: string[] = []) => [...prev, v])
    .option('--table <schema.table>', 'staging only: only this PostgreSQL table (with its sequences, defaults, keys and indexes) into a new staging database (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--accept-unsigned', 'with a set id: restore a set whose manifest signature is missing or wrong (know where it came from first)')
    .action(wrap<RestoreCliOptions>(async (ctx, out, o, setId) => (await import('./restore.js')).restoreCommand(ctx, out, o, setId)));

  program
    .command('drill')
    .description('quarterly drill: restore the latest set into staging, validate, write the report')
    .option('-t, --target <target>', 'staging target (default: drill.target or the only staging target)')
    .option('--status', 'show the last drill and the next due date instead of running one')
    .option('--storage <name>', 'only this storage (default: the newest complete set on any storage that answers)')
    .action(wrap<{ target?: string; status?: boolean; storage?: string }>(async (ctx, out, o) => (await import('./drill.js')).drillCommand(ctx, out, o)));

  program
    .command('adopt [setId]')
    .description('deep-verify sets made before manifest signing (or unsigned sets this host made) and sign those that pass (default: every such set)')
    .option('--storage <name>', 'only this storage (default: every storage)')
    .option('--dry-run', 'verify, sign nothing')
    .action(wrap<{ storage?: string; dryRun?: boolean }>(async (ctx, out, o, setId) => (await import('./adopt.js')).adoptCommand(ctx, out, o, setId ? [setId] : [])));

  program
    .command('repack')
    .description("rewrite mostly-unused format-2 packs (needs the age identity and the signing key): live contents move to new packs, each set gets a new index and a re-signed manifest; the old packs go at a later prune")
    .option('--storage <name>', 'only this storage (default: every storage, each on its own)')
    .option('--threshold <fraction>', 'repack a pack when less than this share of its bytes is still used (default 0.5)')
    .option('--dry-run', 'show what would be repacked, change nothing')
    .action(wrap<{ storage?: string; threshold?: string; dryRun?: boolean }>(async (ctx, out, o) => (await import('./repack.js')).repackCommand(ctx, out, o)));

  program
    .command('runbook')
    .description('write the restore procedure for this config (with and without Cofre), Markdown')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(wrap<{ out?: string }>(async (ctx, out, o) => (await import('./runbook.js')).runbookCommand(ctx, out, o)));

  program
    .command('mysql-rename')
    .description('filter a MySQL/MariaDB dump from stdin to stdout for restoring under another database name, as `cofre restore` does on staging (qualified names in views, triggers, routines, events; DEFINER clauses removed); for the runbook\'s manual steps')
    .requiredOption('--from <db>', 'the database name in the dump')
    .requiredOption('--to <db>', 'the name it is restored under')
    .action(wrap<{ from?: string; to?: string }>(async (_ctx, out, o) => (await import('./mysql-rename.js')).mysqlRenameCommand(o, process, out.opts.json)));

  registerConsoleCommands(program, wrap);
}

// ---- console: `cofre ui`, `cofre demo` ----

export function registerConsoleCommands(program: Command, wrap: Wrap): void {
  program
    .command('ui')
    .description('the console in the browser (prints its URL with the session token; runs the scheduler unless one already runs)')
    .option('--port <port>', 'listen on this port of 127.0.0.1 (default: a free port)')
    .option('--no-open', 'do not open a browser')
    .action(wrap<UiOptions>(async (ctx, out, o) => (await import('./ui.js')).uiCommand(ctx, out, o)));

  program
    .command('demo')
    .description('the console on a demo that really backs up and restores on this machine (sample files; a throwaway PostgreSQL where installed)')
    .option('--port <port>', 'listen on this port of 127.0.0.1 (default: a free port)')
    .option('--no-open', 'do not open a browser')
    .option('--home <dir>', 'demo home (default: $COFRE_HOME, else .cofre-demo/ in the project)')
    .option('--reset', 'start the demo over (the old state is moved aside into previous-<time>/)')
    .option('--prepare-only', 'create the demo home and config (files only) and print their paths, then exit')
    .action(wrap<DemoOptions>(async (ctx, out, o) => (await import('./demo.js')).demoCommand(ctx, out, o)));
}
