/** What every source driver (postgres, mysql, files) provides to the backup engine. */
import type { Readable } from 'node:stream';
import type { ObjectFormat } from '../../shared/domain.js';
import type { CatalogKey } from '../../shared/i18n/catalog.js';

/** One object of a set: a database, the roles/globals, or a file tree. */
export interface DumpPart {
  /** database name, `globals`, `users`, or `files` */
  part: string;
  format: ObjectFormat;
}

/** Facts about the tools, recorded in the manifest (restore checks compatibility with them). */
export interface ToolInfo {
  tool: string;
  toolVersion: string;
  serverVersion?: string;
}

export interface DumpStats {
  rowCounts?: Record<string, number>;
  fileCount?: number;
  fileBytes?: number;
  warnings: string[];
}

/** A running dump: consume `stream`; `finished` resolves after the remote command exited 0. */
export interface RunningDump {
  stream: Readable;
  finished: Promise<DumpStats>;
  cancel(): void;
}

/** A part to dump, with what the probe could tell of its size. */
export interface PreparedPart extends DumpPart {
  /** plaintext bytes expected, when the probe could estimate them */
  estimatedBytes?: number;
  /** the estimate is only an upper bound (e.g. a database's size on disk vs its compressed dump): not for an ETA */
  estimateIsUpperBound?: boolean;
}

/** What a source's probe found: tool facts for the manifest and the parts to dump. */
export interface PreparedSource {
  tool: ToolInfo;
  parts: PreparedPart[];
  /** what the run log should say about how the source is dumped (e.g. stored uncompressed: no zstd on the server) */
  notes?: Array<{ line: string; key: CatalogKey }>;
}
