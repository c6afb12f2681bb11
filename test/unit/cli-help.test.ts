/**
 * `cofre <command> --help` shows two examples and the global options for every command, and
 * the CLI prints dates in the clinic's zone (the plan's, else the first plan's).
 */
import { describe, it, expect } from 'vitest';
import { Command } from 'commander';
import { registerCommands } from '../../src-main/cli/commands/index.js';
import { addHelpExamples } from '../../src-main/cli/help.js';
import { clinicTimeZone } from '../../src-main/app/clinic-zone.js';
import { ConfigSchema } from '../../src-main/config/schema.js';

function program(): Command {
  const p = new Command().name('cofre').option('-c, --config <file>', 'config file').option('--json', 'one JSON document');
  registerCommands(p, () => async () => {});
  addHelpExamples(p);
  return p;
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

describe('cofre --help', () => {
  it('every command shows two examples of itself and the global options', () => {
    const p = program();
    expect(p.commands.length).toBeGreaterThan(10);
    for (const cmd of p.commands) {
      const help = helpOf(cmd);
      const examples = help.split('Examples:\n')[1]?.split('\n\n')[0]?.split('\n').filter((l) => l.trim()) ?? [];
      expect(examples, cmd.name()).toHaveLength(2);
      for (const e of examples) expect(e.trim().startsWith(`cofre ${cmd.name()}`), `${cmd.name()}: ${e}`).toBe(true);
      expect(help, cmd.name()).toContain('Global Options:');
      expect(help, cmd.name()).toMatch(/-c, --config <file>/);
      expect(help, cmd.name()).toMatch(/--json/);
    }
  });

  it('the top-level help points at the per-command help', () => {
    expect(helpOf(program())).toContain('cofre <command> --help');
  });
});

describe('clinic time zone for CLI dates', () => {
  const config = ConfigSchema.parse({
    plans: {
      diario: { sources: ['a'], storage: 's', schedule: '0 2 * * *', timezone: 'America/Manaus' },
      lisboa: { sources: ['a'], storage: 's', schedule: '0 2 * * *', timezone: 'Europe/Lisbon' },
    },
  });
  it("is the plan's zone, else the first plan's, else console.timezone", () => {
    expect(clinicTimeZone(config, 'lisboa')).toBe('Europe/Lisbon');
    expect(clinicTimeZone(config, null)).toBe('America/Manaus');
    expect(clinicTimeZone(config, 'no-such-plan')).toBe('America/Manaus');
    expect(clinicTimeZone(ConfigSchema.parse({ console: { timezone: 'Asia/Tokyo' } }))).toBe('Asia/Tokyo');
  });
});
