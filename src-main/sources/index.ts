/** One entry point per source type, so the backup engine treats every source alike. */
import type { SourceConfig } from '../config/schema.js';
import type { RemoteHost } from '../remote/types.js';
import { postgresParts, postgresToolInfo, startPostgresDump } from './postgres.js';
import { mysqlParts, mysqlToolInfo, startMysqlDump } from './mysql.js';
import { filesParts, filesToolInfo, startFilesDump } from './files.js';
import type { DumpPart, RunningDump, ToolInfo } from './types.js';

export interface SourceDriver {
  parts(): Promise<DumpPart[]>;
  toolInfo(): Promise<ToolInfo>;
  start(part: DumpPart): Promise<RunningDump>;
}

export function sourceDriver(host: RemoteHost, src: SourceConfig, password: string | undefined): SourceDriver {
  switch (src.type) {
    case 'postgres':
      return {
        parts: () => postgresParts(host, src, password),
        toolInfo: () => postgresToolInfo(host, src, password),
        start: (part) => startPostgresDump(host, src, part, password),
      };
    case 'mysql':
      return {
        parts: () => mysqlParts(host, src, password),
        toolInfo: () => mysqlToolInfo(host, src, password),
        start: (part) => startMysqlDump(host, src, part, password),
      };
    case 'files':
      return {
        parts: async () => filesParts(),
        toolInfo: () => filesToolInfo(host),
        start: () => startFilesDump(host, src),
      };
  }
}

/** `<source>.<part>.<format>.age` */
export function objectName(source: string, part: DumpPart): string {
  return `${source}.${part.part}.${part.format}.age`;
}
