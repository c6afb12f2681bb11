/**
 * The copies restores keep of what they replace, on the target itself:
 * - production: the safety folder `/var/tmp/cofre-safety-<time>-<random>/` (safety.ts);
 * - staging with `names: original`: `<name>_antes_<yyyymmddhhmmss>` (databases and folders, original-names.ts);
 * - staging with `--rename-existing`: `<name>_old_<yyyymmddhhmmss>` (transfer.ts).
 * Nothing removes them by itself (documented rule: they stay until a person removes them). This
 * module lists them and removes one on request.
 *
 * Never on a guess: only copies a restore of THIS catalog recorded (run details: `safetyDumps`,
 * `movedAside`) are listed and can be removed, each checked on the target to still exist and to
 * have the shape Cofre gives such names. A name that merely looks like one is not touched. The
 * newest copy of what it replaced (for safety folders: the newest of the target) is refused
 * without `force`: it is the only way back from the last restore.
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { AppContext } from '../app/context.js';
import { serverSpec } from '../app/servers.js';
import { connectServer } from '../remote/connect.js';
import type { RemoteHost } from '../remote/types.js';
import { shq } from '../remote/shell.js';
import { myIdent, mySqlString, mysqlQuery } from '../sources/mysql.js';
import { pgIdent, pgQuery, pgString, targetOf, type TargetInfo } from './target.js';

export type KeptKind = 'safety' | 'postgres' | 'mysql' | 'folder';

/** A copy as the catalog recorded it when a restore moved it aside. */
interface Recorded {
  /** the database name or absolute folder path: what `remove` takes */
  name: string;
  kind: KeptKind;
  /** what it is a copy of (a database or path; for safety folders: the production target) */
  of: string;
  target: string;
  /** when the restore that made it started (ISO) */
  madeAt: string;
  runId: number;
  setId: string | null;
}

export interface KeptCopy extends Recorded {
  /** on the target now (false: removed by hand since) */
  exists: boolean;
  /** bytes on the target, when it exists and the size could be read */
  bytes?: number;
  /** the newest copy of `of` on this target: removed only with --force */
  newest: boolean;
}

const STAMPED = /_(?:antes|old)_\d{14}$/;
const SAFETY = /^\/var\/tmp\/cofre-safety-\d{8}T\d{6}Z-[^/]+$/;

/** The shape Cofre gives these names; anything else in the catalog is ignored (never removed). */
export function hasKeptShape(kind: KeptKind, name: string): boolean {
  if (kind === 'safety') return SAFETY.test(name);
  if (kind === 'folder') return name.startsWith('/') && !name.split('/').includes('..') && STAMPED.test(name);
  return STAMPED.test(name);
}

function parentDir(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}

/** The copies one restore's record says it kept on `target` (its safety folder, what it moved aside); other shapes are ignored. */
export function keptByRestore(target: string, details: { safetyDumps?: unknown; movedAside?: unknown }): Array<Pick<Recorded, 'name' | 'kind' | 'of'>> {
  const out: Array<Pick<Recorded, 'name' | 'kind' | 'of'>> = [];
  for (const f of Array.isArray(details.safetyDumps) ? details.safetyDumps : []) {
    if (typeof f !== 'string') continue;
    const dir = parentDir(f);
    if (hasKeptShape('safety', dir) && !out.some((o) => o.kind === 'safety' && o.name === dir)) out.push({ name: dir, kind: 'safety', of: target });
  }
  for (const m of Array.isArray(details.movedAside) ? details.movedAside : []) {
    const { aside, destination, kind } = (m ?? {}) as { aside?: unknown; destination?: unknown; kind?: unknown };
    if (typeof aside !== 'string' || typeof destination !== 'string') continue;
    const k: KeptKind | undefined = kind === 'postgres' || kind === 'mysql' || kind === 'folder' ? kind : undefined;
    if (k && hasKeptShape(k, aside)) out.push({ name: aside, kind: k, of: destination });
  }
  return out;
}

/** Every copy the catalog's restores and drills recorded, newest first (pure over the run records). */
export function recordedCopies(ctx: Pick<AppContext, 'catalog'>, target?: string): Recorded[] {
  const out = new Map<string, Recorded>();
  for (const run of ctx.catalog.listRuns({ kind: ['restore', 'drill'], limit: 100_000 })) {
    if (!run.target || (target && run.target !== target)) continue;
    const d = (run.details ?? {}) as { setId?: string | null; safetyDumps?: unknown; movedAside?: unknown };
    const base = { target: run.target, madeAt: run.startedAt, runId: run.id, setId: d.setId ?? run.setId ?? null };
    for (const k of keptByRestore(run.target, d)) out.set(`${run.target}\0${k.kind}\0${k.name}`, { ...base, ...k });
  }
  return [...out.values()].sort((a, b) => b.madeAt.localeCompare(a.madeAt) || b.runId - a.runId);
}

async function sizeOf(host: RemoteHost, t: TargetInfo, r: Recorded): Promise<{ exists: boolean; bytes?: number }> {
  if (r.kind === 'postgres') {
    if (!t.pg) return { exists: false };
    const [row] = await pgQuery(host, t.pg, 'postgres', `SELECT pg_database_size(datname) FROM pg_database WHERE datname = ${pgString(r.name)}`);
    return row === undefined ? { exists: false } : { exists: true, bytes: Number(row) };
  }
  if (r.kind === 'mysql') {
    if (!t.my) return { exists: false };
    const rows = await mysqlQuery(host, t.my, `SELECT s.SCHEMA_NAME, COALESCE(SUM(x.DATA_LENGTH + x.INDEX_LENGTH), 0) FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES x ON x.TABLE_SCHEMA = s.SCHEMA_NAME WHERE s.SCHEMA_NAME = ${mySqlString(r.name)} GROUP BY s.SCHEMA_NAME`);
    const [row] = rows;
    return row === undefined ? { exists: false } : { exists: true, bytes: Number(row.split('\t')[1] ?? 0) };
  }
  const res = await host.run(`[ -e ${shq(r.name)} ] || exit 3; du -sb -- ${shq(r.name)} 2>/dev/null | cut -f1`);
  if (res.code === 3) return { exists: false };
  const bytes = Number(res.stdout.trim());
  return { exists: true, ...(Number.isFinite(bytes) && res.stdout.trim() ? { bytes } : {}) };
}

/** The newest existing copy of each original (per kind family): refused without force. */
function markNewest(copies: Array<Omit<KeptCopy, 'newest'>>): KeptCopy[] {
  const seen = new Set<string>();
  return copies.map((c) => {
    const group = `${c.target}\0${c.kind === 'safety' ? 'safety' : `${c.kind}\0${c.of}`}`;
    const newest = c.exists && !seen.has(group);
    if (c.exists) seen.add(group);
    return { ...c, newest };
  });
}

async function withTarget<T>(ctx: AppContext, name: string, fn: (host: RemoteHost, t: TargetInfo) => Promise<T>): Promise<T> {
  const t = targetOf(ctx.config, name, ctx.env);
  const host = await connectServer(serverSpec(ctx.config, t.config.server, ctx.env), { readyTimeoutMs: 15_000 });
  try {
    return await fn(host, t);
  } finally {
    host.close();
  }
}

/** The kept copies of every target (or one), each looked up on its target. */
export async function listKeptCopies(ctx: AppContext, opts: { target?: string | undefined } = {}): Promise<KeptCopy[]> {
  const recorded = recordedCopies(ctx, opts.target);
  const targets = opts.target ? [opts.target] : [...new Set(recorded.map((r) => r.target))].filter((n) => n in ctx.config.restoreTargets);
  const out: Array<Omit<KeptCopy, 'newest'>> = [];
  for (const name of targets) {
    const mine = recorded.filter((r) => r.target === name);
    if (mine.length === 0) continue;
    await withTarget(ctx, name, async (host, t) => {
      for (const r of mine) out.push({ ...r, ...(await sizeOf(host, t, r)) });
    });
  }
  return markNewest(out.sort((a, b) => b.madeAt.localeCompare(a.madeAt) || b.runId - a.runId));
}

export interface RemoveKeptResult {
  removed: KeptCopy;
}

/** Removes one kept copy by name, on purpose (audited as `actor`, default the context's: the console passes its caller). */
export async function removeKeptCopy(ctx: AppContext, name: string, opts: { target?: string | undefined; force?: boolean; yes?: boolean; actor?: string }): Promise<RemoveKeptResult> {
  const all = recordedCopies(ctx, opts.target).filter((r) => r.name === name);
  const targets = [...new Set(all.map((r) => r.target))];
  if (targets.length === 0) {
    throw new CofreError('INVALID_ARGUMENT', `${name} is not a copy kept by a restore recorded here${opts.target ? ` on target ${opts.target}` : ''}: nothing was removed`, {
      ...said('drill.kept.unknown', { name }),
      hint: 'list them with `cofre kept`; a copy made from another workstation, or a name that only looks like one, is removed by hand',
    });
  }
  if (targets.length > 1) {
    throw new CofreError('INVALID_ARGUMENT', `${name} is a kept copy on several targets (${targets.join(', ')}): choose one with --target`, { ...said('drill.kept.severalTargets', { name, targets: targets.join(', ') }), hint: `e.g. --target ${targets[0] ?? ''}` });
  }
  const target = targets[0] ?? '';
  const list = (await listKeptCopies(ctx, { target })).filter((c) => c.name === name);
  const copy = list[0];
  if (!copy?.exists) {
    throw new CofreError('PRECONDITION', `${name} is no longer on target ${target} (removed by hand?): nothing to remove`, { ...said('drill.kept.gone', { name, target }), hint: 'list them with `cofre kept`' });
  }
  if (copy.newest && !opts.force) {
    throw new CofreError('CONFIRMATION_REQUIRED', `${name} is the newest copy of ${copy.of} on ${target} (the only way back from the last restore): refused, nothing was removed`, {
      ...said('drill.kept.newest', { name, of: copy.of }),
      hint: 'check the restored data first; then remove it with --force',
    });
  }
  if (!opts.yes) {
    throw new CofreError('CONFIRMATION_REQUIRED', `removing ${name} from ${target} cannot be undone: confirm with --yes`, { ...said('drill.kept.confirm', { name, target }), hint: `cofre kept remove ${name} --target ${target} --yes` });
  }
  await withTarget(ctx, target, async (host, t) => {
    if (!hasKeptShape(copy.kind, copy.name)) throw new CofreError('INTEGRITY', `${name} does not have the shape of a kept copy: refused`);
    if (copy.kind === 'postgres' && t.pg) await pgQuery(host, t.pg, 'postgres', `DROP DATABASE ${pgIdent(copy.name)}`);
    else if (copy.kind === 'mysql' && t.my) await mysqlQuery(host, t.my, `DROP DATABASE ${myIdent(copy.name)}`);
    else if (copy.kind === 'safety' || copy.kind === 'folder') await host.runChecked(`rm -rf -- ${shq(copy.name)}`, { label: 'rm (kept copy)' });
    else throw new CofreError('CONFIG_REFERENCE', `target ${target} has no ${copy.kind} connection in the config any more: ${name} cannot be removed from here`);
  });
  ctx.catalog.audit(opts.actor ?? ctx.actor, 'kept.remove', target, { name, kind: copy.kind, of: copy.of, runId: copy.runId, bytes: copy.bytes, forced: Boolean(opts.force && copy.newest) });
  return { removed: copy };
}
