/**
 * What `cofre <command> --help` adds after the options: two examples of the command and the
 * global options (--config, --json) that every command takes.
 */
import type { Command } from 'commander';

/** Two examples per command, as a technician would type them. */
export const EXAMPLES: Record<string, readonly [string, string]> = {
  init: ['cofre init', 'cofre init --storage-path /mnt/nas/cofre --identity ~/.config/cofre/identity.txt'],
  trust: ['cofre trust clinica', 'cofre trust clinica --replace   # after checking the new key on the server console'],
  status: ['cofre status', 'cofre status --check --offline   # exit 1 unless every plan is ok (monitoring)'],
  backup: ['cofre backup', 'cofre backup --plan diario --json'],
  sets: ['cofre sets', 'cofre sets --plan diario --json'],
  verify: ['cofre verify 20260301T050000Z-a1b2c3', 'cofre verify 20260301T050000Z-a1b2c3 --deep --storage nuvem'],
  prune: ['cofre prune --dry-run', 'cofre prune --plan diario --now 2026-04-01T00:00:00-03:00 --dry-run --json'],
  daemon: ['cofre daemon', 'cofre daemon --ui --port 8765'],
  restore: [
    'cofre restore --at 2026-03-01T12:00:00-03:00 --target homologacao --sources banco,arquivos',
    'cofre restore 20260301T050000Z-a1b2c3 --target producao --yes --confirm-name producao',
  ],
  drill: ['cofre drill', 'cofre drill --status --json'],
  runbook: ['cofre runbook', 'cofre runbook --out RESTAURACAO.md'],
  ui: ['cofre ui', 'cofre ui --port 8765 --no-open'],
  demo: ['cofre demo', 'cofre demo --reset --no-open'],
  files: ['cofre files 20260301T050000Z-a1b2c3', 'cofre files 20260301T050000Z-a1b2c3 --path /srv/clinica/uploads --json'],
  forget: ['cofre forget 20260301T050000Z-a1b2c3 --yes', 'cofre forget 20260301T050000Z-a1b2c3 --yes --json'],
  adopt: ['cofre adopt', 'cofre adopt --json'],
  repack: ['cofre repack --dry-run', 'cofre repack --storage nuvem --threshold 0.3 --json'],
  'mysql-rename': [
    'cofre mysql-rename --from clinica --to clinica_homolog < clinica.sql | mysql clinica_homolog',
    'cofre mysql-rename --from clinica --to clinica_teste < clinica.sql > clinica_teste.sql   # after age -d … | zstd -d > clinica.sql',
  ],
  kept: ['cofre kept --target homologacao', 'cofre kept remove clinica_antes_20260301050000 --target homologacao --yes'],
};

/** Adds the examples and the global options to every registered subcommand's help. */
export function addHelpExamples(program: Command): void {
  program.addHelpText('after', `\nExamples:\n  cofre status\n  cofre restore --at 2026-03-01T12:00:00-03:00 --target homologacao\n\nRun \`cofre <command> --help\` for a command's options and examples.`);
  for (const cmd of program.commands) {
    const examples = EXAMPLES[cmd.name()];
    cmd.configureHelp({ ...cmd.configureHelp(), showGlobalOptions: true });
    if (examples) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n\nState (catalog, identity) lives in $COFRE_HOME.`);
  }
}
