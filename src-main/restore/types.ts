/** Types shared by the restore phases (preflight, transfer, validate, report) and the drill. */
import type { CheckStatus, ManifestObject, ManifestRef, ManifestSource, Progress, SourceType } from '../../shared/domain.js';
import type { ErrorInfo } from '../errors.js';
import type { PreparedSelection } from '../files2/restore.js';
import type { CatalogKey, MessageParams, MessageRef } from '../../shared/i18n/catalog.js';

/** RNF-BACK-002: the clinic's objectives. */
export const RTO_BUDGET_MS = 4 * 3600_000;
export const RPO_BUDGET_MS = 24 * 3600_000;
/** Used for the projection when the catalog has no previous restore to measure from. */
export const DEFAULT_RESTORE_RATE = 50 * 1024 * 1024;

export type RestorePhase = 'select' | 'preflight' | 'safety' | 'transfer' | 'validate' | 'report';

/** `name`/`message` are English (CLI, technical detail); `key`/`params` the console's text (ok and failed forms). */
export interface CheckResult {
  name: string;
  /** true when the check passed */
  ok: boolean;
  /** ok / failed / unchecked (could not be made here); absent on older records: derive from ok */
  status?: CheckStatus;
  message: string;
  key?: CatalogKey;
  params?: MessageParams;
  /** the error behind a failed check */
  cause?: ErrorInfo;
}

export interface PhaseTiming {
  phase: RestorePhase;
  startedAt: string;
  durationMs: number;
  ok: boolean;
}

/** One object of the set and where it goes on the target. */
export interface RestoreItem {
  source: ManifestSource;
  object: ManifestObject;
  type: SourceType;
  /** postgres/mysql: database created on the target; files: the folder extracted into */
  destination: string;
  /** postgres globals on a staging target are not applied (roles may clash) */
  skip?: string;
  /** files: only these absolute server paths (files or folders) */
  paths?: string[];
  /** files in format 2: the set's packs (the index names which of them hold this source's content) */
  packs?: ManifestRef[];
  /** files: what the restore placed, when it differs from the whole source (format 2 knows it from the index) */
  expected?: { entries: number; bytes: number };
  /** postgres (`--table`): only these tables (`schema.table`) into the staging database */
  tables?: string[];
  /** files in format 2 on production: the server paths removed right before the set's files are placed (after the safety copy) */
  replace?: string[];
  /** files in format 2: what the preflight kept of the index (read and hash-checked once, there) for the transfer */
  prepared?: PreparedSelection;
  /** what the transfer of this item left out or noticed (the result's warnings) */
  warnings?: string[];
  /** what the transfer of this item changed on purpose (the run log, not warnings) */
  notes?: Array<{ line: string } & MessageRef>;
}

export interface Projection {
  /** stored (encrypted) bytes to move */
  totalBytes: number;
  bytesPerSecond: number;
  /** where the rate came from */
  rateSource: 'previous restores' | 'default';
  projectedMs: number;
  /** already elapsed since the incident was declared, when preflight ran */
  elapsedMs: number;
  budgetMs: number;
  overBudget: boolean;
  /** production: every object is read whole (hash, decryption) in preflight first; its bytes, rate and time (included in projectedMs) */
  verifyBytes?: number;
  verifyBytesPerSecond?: number;
  verifyMs?: number;
}

export interface ValidationResult {
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
  key?: CatalogKey;
  params?: MessageParams;
}

/** What existing databases/folders with the staging names do: refused (default) or renamed aside. */
export type ExistingPolicy = 'refuse' | 'rename';

export interface RestoreOptions {
  setId?: string | undefined;
  /** ISO instant ("data as of"): the newest complete set that finished at or before it */
  at?: string | undefined;
  /** only this storage (`--storage NAME`); default: every storage the plans use, each on its own */
  storage?: string | undefined;
  /** by set id only: the user confirmed restoring a set whose manifest signature is missing or wrong */
  acceptUnsigned?: boolean | undefined;
  target: string;
  /** only these sources of the set (default: all) */
  sources?: string[] | undefined;
  /** only these absolute server paths of the files sources (databases are left out) */
  paths?: string[] | undefined;
  /** only these PostgreSQL tables (`schema.table`), into a staging target (files and other databases are left out) */
  tables?: string[] | undefined;
  yes?: boolean;
  /** production targets: the target's name, typed */
  confirmName?: string | undefined;
  /** ISO instant the incident was declared (RTO clock start); default: now */
  incidentStart?: string | undefined;
  /** read every stored object whole in preflight: SHA-256, decryption, content (default: when the set is ≤ 2 GiB; always on production) */
  verifyHashes?: boolean | undefined;
  /** pg_restore parallel jobs; > 1 stages the dump in a temp file on the target first */
  jobs?: number | undefined;
  /** staging only: what to do when a database/folder with the restore's name already exists */
  existing?: ExistingPolicy | undefined;
  /** apply postgres globals (roles) on a staging target too (always applied on production) */
  globals?: boolean | undefined;
  kind?: 'restore' | 'drill';
  trigger?: string;
  onProgress?: (p: RestoreProgress) => void;
  onLog?: (line: string) => void;
  /** called with the catalog run id as soon as the run is recorded */
  onStart?: (runId: number) => void;
  signal?: AbortSignal;
}

export interface RestoreProgress extends Progress {
  /** since the incident was declared */
  elapsedMs: number;
}

export interface RestoreResult {
  restoreId: string;
  runId: number;
  kind: 'restore' | 'drill';
  status: 'succeeded' | 'failed';
  setId: string | null;
  plan: string | null;
  storage: string | null;
  target: string;
  targetKind: 'staging' | 'production';
  setCreatedAt: string | null;
  startedAt: string;
  incidentStart: string;
  finishedAt: string;
  phases: PhaseTiming[];
  preflight: CheckResult[];
  projection?: Projection;
  items: Array<{ source: string; part: string; type: SourceType; destination: string; bytes: number; durationMs: number; skipped?: string }>;
  validation: ValidationResult[];
  /** restore start − set createdAt: the age of the data brought back */
  rpoMs: number | null;
  /** incident start → end of the restore */
  rtoMs: number;
  rpoOk: boolean | null;
  rtoOk: boolean;
  bytes: number;
  /** stored bytes per second during transfer (the projection of the next restore uses it) */
  transferRate?: number;
  /** stored bytes per second of the preflight whole read, when one was made */
  verifyRate?: number;
  safetyDumps: string[];
  /** staging with `names: original`: each existing database/folder and the name it was moved aside to (kept) */
  movedAside?: Array<{ item: string; destination: string; aside: string }>;
  warnings: string[];
  reportPath?: string;
  error?: ErrorInfo;
  /** when failed: what state the target is in and how to go on */
  targetState?: string;
}
