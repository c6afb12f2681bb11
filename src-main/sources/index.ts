/** One entry point per source type, so the backup engine treats every source alike. */
import type { SourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { openSnapshotSession, postgresFromProbe, postgresProbeSteps, startPostgresDump, type SnapshotSession } from './postgres.js';
import { mysqlFromProbe, mysqlProbeSteps, startMysqlDump } from './mysql.js';
import { filesFromProbe, filesProbeSteps, startFilesDump } from './files.js';
import type { ProbeResults, ProbeStep } from './probe.js';
import type { DumpPart, PreparedSource, RunningDump } from './types.js';

export interface SourceProbe {
  steps: ProbeStep[];
  /** variables the steps read (the password), passed inside the SSH channel */
  env: Record<string, string>;
}

export interface SourceDriver {
  /**
   * The steps that find tool facts, parts and size estimates in one remote script (see
   * probe.ts). `prefix` keeps this source's keys and variables apart from other sources';
   * `estimate` asks for size estimates that cost a walk of the data (files: du).
   */
  probe(prefix: string, opts: { estimate: boolean }): SourceProbe;
  /** Reads this source's sections of the probe output; throws what a failed probe means. */
  fromProbe(results: ProbeResults, prefix: string): PreparedSource;
  /**
   * Opens, ahead of time, what the first `start` will need and is slow to open (postgres: the
   * session on the first database): the backup calls it while it waits for the server lock.
   * Anything left unused ends with the SSH connection.
   */
  prepare?(): void;
  start(part: DumpPart): Promise<RunningDump>;
}

function pwVarOf(prefix: string): string {
  return `COFRE_PW_${prefix.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function probeEnv(prefix: string, password: string | undefined): { pwVar: string | undefined; env: Record<string, string> } {
  if (password === undefined) return { pwVar: undefined, env: {} };
  const pwVar = pwVarOf(prefix);
  return { pwVar, env: { [pwVar]: password } };
}

export function sourceDriver(host: RemoteHost, src: SourceConfig, password: string | undefined): SourceDriver {
  const where = `${host.name} (${host.host}:${host.port})`;
  switch (src.type) {
    case 'postgres': {
      let opened: SnapshotSession | undefined;
      return {
        probe: (prefix) => {
          const { pwVar, env } = probeEnv(prefix, password);
          return { steps: postgresProbeSteps(prefix, src, pwVar), env };
        },
        fromProbe: (results, prefix) => postgresFromProbe(results, prefix, src, where),
        // Only named databases are known before the probe (otherwise the globals come first).
        prepare: () => {
          const first = src.databases?.[0];
          if (first !== undefined) opened ??= openSnapshotSession(host, src, first, password);
        },
        start: (part) => {
          const session = opened;
          opened = undefined;
          if (session !== undefined && session.database !== part.part) session.stdin.end();
          return startPostgresDump(host, src, part, password, session?.database === part.part ? session : undefined);
        },
      };
    }
    case 'mysql':
      return {
        probe: (prefix) => {
          const { pwVar, env } = probeEnv(prefix, password);
          return { steps: mysqlProbeSteps(prefix, src, pwVar), env };
        },
        fromProbe: (results, prefix) => mysqlFromProbe(results, prefix, src, where),
        start: (part) => startMysqlDump(host, src, part, password),
      };
    case 'files': {
      let pathsChecked = false;
      return {
        probe: (prefix, opts) => ({ steps: filesProbeSteps(prefix, src, opts), env: {} }),
        fromProbe: (results, prefix) => {
          const prepared = filesFromProbe(results, prefix, where);
          pathsChecked = true;
          return prepared;
        },
        start: () => startFilesDump(host, src, { pathsChecked }),
      };
    }
  }
}

/** `<source>.<part>.<format>.age` */
export function objectName(source: string, part: DumpPart): string {
  return `${source}.${part.part}.${part.format}.age`;
}
