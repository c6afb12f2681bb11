/**
 * EngineServices: everything the console's RPC handlers need from the engine, in one interface.
 * The real engine (config, catalog, backup, restore, status, alerts) is wired behind it by the
 * host (Electron, `cofre ui`, `cofre daemon`, `cofre demo`); test/support/memory-services.ts
 * implements it in memory for the RPC/store tests.
 *
 * Conventions:
 * - Methods reject with CofreError (src-main/errors.ts) for anything a user should see; the RPC
 *   layer turns that into `{ ok: false, error: { code, message, hint } }`.
 * - Mutations take a CallContext so the engine can write the audit log (who did it).
 * - Long operations (backup, restore, drill) resolve as soon as they are started, with their
 *   id; progress and completion arrive through `events.subscribe`.
 */
import type { Status } from '../../shared/rpc/contracts/status.js';
import type { Run, RunDetail } from '../../shared/rpc/contracts/runs.js';
import type { SetList, Check, VerifyResult } from '../../shared/rpc/contracts/sets.js';
import type { HostKeyReplacement, ServerInfo, ServerInput, SourceInput, StorageInfo, PlanInfo, PlanInput } from '../../shared/rpc/contracts/config.js';
import type { Target, Preflight, PreflightInput, RestoreStartInput, Drills, ResolvedPoint } from '../../shared/rpc/contracts/restore.js';
import type { Settings, Language, AlertTest, AuditEntry, AuditQuery } from '../../shared/rpc/contracts/settings.js';
import type { EventName, EventPayload } from '../../shared/rpc/contract.js';
import type { DemoInfo } from '../../shared/rpc/contracts/demo.js';
import type { FilesList, FilesListInput, FileVersions, FilesSave, FilesSaveInput } from '../../shared/rpc/contracts/files.js';
import type { KeptList, KeptCopy } from '../../shared/rpc/contracts/kept.js';
import type { Writable } from 'node:stream';

/** Who is calling, for the audit log ("console:<os user>", "cli:<os user>"). */
export interface CallContext {
  actor: string;
}

/** A one-time download a browser console asked for with `files.save`. */
export interface Download {
  /** the file name to offer: the file's own, or `<folder>.tar` */
  name: string;
  /** known for a single file */
  size?: number;
  /** writes the decrypted file (or tar) to `out`, then records the save in the audit log */
  write(out: Writable): Promise<number>;
}

/** One pushed event: `run.progress`, `run.finished`, `restore.progress`, `restore.finished`. */
export type EngineEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export interface EngineServices {
  demo: {
    /** Whether this console runs the demo (`cofre demo`), what it backs up and what it could not do. */
    info(): Promise<DemoInfo>;
  };
  status: {
    /** Per plan: RPO state, last good set, age, next run, storage use, geo-separation, last run; plus the last drill. */
    get(): Promise<Status>;
  };
  runs: {
    /** Backups and drills, newest first (a plan filter leaves the drills out). */
    list(query: { plan?: string; limit: number }): Promise<Run[]>;
    /** undefined when there is no such run. */
    get(id: string): Promise<RunDetail | undefined>;
  };
  backup: {
    /** Starts a run of the plan now; resolves with its id once started (REMOTE_BUSY if one is running). */
    start(plan: string, ctx: CallContext): Promise<{ runId: string }>;
  };
  sets: {
    /** Sets in storage (every state), newest first, each storage on its own: one that fails is named in `unreachable`. */
    list(query: { plan?: string }): Promise<SetList>;
    /** Quick: sizes and hashes of stored objects; deep: download, decrypt, check dump format. */
    verify(setId: string, options: { deep: boolean }, ctx: CallContext): Promise<VerifyResult>;
  };
  servers: {
    list(): Promise<ServerInfo[]>;
    /** Adds or replaces `servers.<name>` in cofre.yaml (comments preserved). */
    save(server: ServerInput, ctx: CallContext): Promise<void>;
    /** Connects without authenticating and reports the host key's SHA-256 fingerprint. */
    probe(host: string, port: number): Promise<{ fingerprint: string; algorithm: string }>;
    /**
     * Pins the fingerprint as `servers.<name>.hostKey`. Replacing a different pinned key needs
     * `replace`: the old pin as shown to the technician and the server's name typed.
     */
    trust(name: string, fingerprint: string, ctx: CallContext, replace?: HostKeyReplacement): Promise<void>;
    /** Logs in with the pinned key and runs a harmless command; ok false with a plain message otherwise. */
    test(name: string): Promise<Omit<Check, 'name'>>;
  };
  sources: {
    list(): Promise<SourceInput[]>;
    save(source: SourceInput, ctx: CallContext): Promise<void>;
  };
  storage: {
    list(): Promise<StorageInfo[]>;
  };
  plans: {
    list(): Promise<PlanInfo[]>;
    /** Validates references (sources, storage) and the schedule; returns the next run time. */
    save(plan: PlanInput, ctx: CallContext): Promise<{ nextRunAt?: string }>;
  };
  targets: {
    list(): Promise<Target[]>;
  };
  restore: {
    /** Resolves the restore point, checks target reachability/tools/space/key, projects the duration. */
    preflight(input: PreflightInput): Promise<Preflight>;
    /** The set a point in time picks, by the same rule as `cofre restore --at` (SET_NOT_FOUND when none). */
    resolveAt(at: string): Promise<ResolvedPoint>;
    /** Starts the restore (production: the engine takes a safety dump first). */
    start(input: RestoreStartInput, ctx: CallContext): Promise<{ restoreId: string }>;
  };
  drills: {
    list(): Promise<Drills>;
    /** Restores the latest complete set into a staging target (default: config `drill.target`). */
    start(target: string | undefined, ctx: CallContext): Promise<{ restoreId: string }>;
  };
  files: {
    /** One folder of a set (format 2), or a search in it, one page at a time; format 1 says `archive`. */
    list(input: FilesListInput): Promise<FilesList>;
    /** The same path in the other complete sets (newest first). */
    versions(setId: string, path: string): Promise<FileVersions>;
    /** Saves a file or folder decrypted on this computer: a save dialog (desktop) or a one-time download link (browser). */
    save(input: FilesSaveInput, ctx: CallContext): Promise<FilesSave>;
    /** The download behind a `save` link, once; undefined when unknown, used or expired. */
    takeDownload(ticket: string): Promise<Download | undefined>;
  };
  kept: {
    /** The copies restores kept of what they replaced, looked up on each target (`cofre kept`); a target that fails is named in `unreachable`. */
    list(): Promise<KeptList>;
    /** Removes one, confirmed by the technician (the newest copy of something only with `force`); audited as the caller. */
    remove(input: { target: string; name: string; force: boolean }, ctx: CallContext): Promise<{ removed: KeptCopy }>;
  };
  settings: {
    get(): Promise<Settings>;
    setLanguage(language: Language, ctx: CallContext): Promise<void>;
    /** The clinic's time zone (`console.timezone`) for every date the console shows. */
    setTimezone(timezone: string, ctx: CallContext): Promise<void>;
  };
  alerts: {
    /** Sends a test message through every configured channel. */
    test(ctx: CallContext): Promise<AlertTest>;
  };
  keys: {
    /** Adds an age recipient to `encryption.recipients`; returns the new list. */
    addRecipient(recipient: string, ctx: CallContext): Promise<string[]>;
  };
  audit: {
    /** Newest first. */
    list(query: AuditQuery): Promise<AuditEntry[]>;
  };
  events: {
    /** Every run/restore progress and completion event; returns an unsubscribe function. */
    subscribe(listener: (event: EngineEvent) => void): () => void;
  };
}
