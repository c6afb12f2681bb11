/**
 * A restore target from the config: its connections (secrets resolved), the names things get
 * on it, and small command builders for psql / mysql over SSH.
 *
 * Naming (documented choice): a staging target never receives the production names.
 * Databases become `<db>_restore_<6 hex of the set id>` and files go under
 * `<filesRoot>/<setId>/`. When such a database or folder already exists, the restore
 * refuses (default) or, with `existing: 'rename'` (the drill uses it), moves the old one
 * aside as `<name>_old_<yyyymmddhhmmss>` (postgres and folders; MySQL has no RENAME
 * DATABASE, so it is always refused there). A production target gets the original names
 * (files extracted at `filesRoot`, normally `/`), after a safety dump; so does a staging target
 * with `names: original`, after moving what exists aside (original-names.ts).
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config, RestoreTargetConfig } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { shJoin, shq } from '../remote/shell.js';
import type { RemoteHost } from '../remote/types.js';
import { pgConnArgs, pgDbArgs, pgEnv, type PgConnection } from '../sources/postgres.js';
import { myDatabaseArg } from '../sources/names.js';
import { myConnArgs, myEnv, type MyConnection } from '../sources/mysql.js';
import type { Manifest, SourceType } from '../../shared/domain.js';
import type { RestoreItem } from './types.js';

export interface TargetInfo {
  name: string;
  config: RestoreTargetConfig;
  pg?: PgConnection;
  my?: MyConnection;
}

export function targetOf(config: Config, name: string | undefined, env: NodeJS.ProcessEnv): TargetInfo {
  const names = Object.keys(config.restoreTargets);
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  if (!chosen) {
    throw new CofreError('INVALID_ARGUMENT', names.length ? `several restore targets exist (${names.join(', ')}); choose one with --target` : 'the config has no restore targets', {
      ...said('restore.chooseTarget'),
      hint: names.length ? `e.g. --target ${names[0]}` : 'add one under restoreTargets: in the config (kind: staging, server, postgres/mysql/filesRoot)',
    });
  }
  const t = config.restoreTargets[chosen];
  if (!t) throw new CofreError('CONFIG_REFERENCE', `"${chosen}" is not a restore target; known: ${names.join(', ') || '(none)'}`, { ...said('restore.noTarget', { target: chosen }), hint: 'check the name, or add it under restoreTargets: in the config' });
  const info: TargetInfo = { name: chosen, config: t };
  if (t.postgres) {
    const password = resolveSecret({ env: t.postgres.passwordEnv, what: `restoreTargets.${chosen}.postgres.passwordEnv` }, env);
    info.pg = { host: t.postgres.host, port: t.postgres.port ?? 5432, user: t.postgres.user, password };
  }
  if (t.mysql) {
    const password = resolveSecret({ env: t.mysql.passwordEnv, what: `restoreTargets.${chosen}.mysql.passwordEnv` }, env);
    info.my = { host: t.mysql.host, port: t.mysql.port ?? 3306, user: t.mysql.user, password };
  }
  return info;
}

/**
 * `<db>_restore_<hex>` (`<db>_drill_<hex>` for drills, so a drill never collides with a
 * technician's restore of the same set), within PostgreSQL's 63-byte identifier limit.
 */
export function stagingDbName(db: string, setId: string, kind: 'restore' | 'drill' = 'restore'): string {
  const suffix = `_${kind}_${setId.slice(-6)}`;
  return `${db.slice(0, 63 - suffix.length)}${suffix}`;
}

export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

/** What each object of the set becomes on the target (pure; unit-tested). */
export function planItems(
  manifest: Manifest,
  target: TargetInfo,
  opts: { sources?: string[] | undefined; globals?: boolean | undefined; kind?: 'restore' | 'drill'; paths?: string[] | undefined; tables?: boolean | undefined },
): RestoreItem[] {
  const paths = opts.paths?.length ? opts.paths : undefined;
  for (const p of paths ?? []) {
    if (!p.startsWith('/') || p.split('/').some((c) => c === '..' || c === '.')) {
      throw new CofreError('INVALID_ARGUMENT', `--path ${p} is not an absolute path as on the server`, { hint: 'e.g. --path /srv/clinica/uploads/exames (list them with cofre files <setId>)' });
    }
  }
  const known = manifest.sources.map((s) => s.name);
  for (const s of opts.sources ?? []) {
    if (!known.includes(s)) {
      throw new CofreError('INVALID_ARGUMENT', `the set ${manifest.setId} has no source "${s}"; it has: ${known.join(', ')}`, { ...said('restore.unknownSource', { setId: manifest.setId, source: s }), hint: 'fix --sources' });
    }
  }
  const production = target.config.kind === 'production';
  /** production, or a staging target with `names: original` (original-names.ts moves what exists aside) */
  const original = production || target.config.names === 'original';
  const items: RestoreItem[] = [];
  for (const source of manifest.sources) {
    if (opts.sources && !opts.sources.includes(source.name)) continue;
    if (paths && source.type !== 'files') continue;
    if (opts.tables && source.type !== 'postgres') continue; // --table: only PostgreSQL dumps (narrowed in pg-table.ts)
    for (const object of source.objects) {
      const need = (what: string): never => {
        throw new CofreError('CONFIG_REFERENCE', `restore target ${target.name} has no ${what}, needed for ${source.name}.${object.part}`, {
          ...said('restore.targetLacks', { target: target.name, service: what, item: `${source.name}.${object.part}` }),
          hint: `add ${what} under restoreTargets.${target.name}, or leave the source out with --sources`,
        });
      };
      const type: SourceType = source.type;
      if (type === 'postgres') {
        if (!target.pg) need('postgres');
        if (object.part === 'globals' && object.format === 'sql') {
          items.push({
            source, object, type, destination: '(roles and tablespaces)',
            ...(production || opts.globals ? {} : { skip: 'roles/globals are not applied on a staging target (they may clash with its roles); pass --globals to apply them' }),
          });
        } else {
          items.push({ source, object, type, destination: original ? object.part : stagingDbName(object.part, manifest.setId, opts.kind) });
        }
      } else if (type === 'mysql') {
        if (!target.my) need('mysql');
        items.push({ source, object, type, destination: original ? object.part : stagingDbName(object.part, manifest.setId, opts.kind) });
      } else {
        const root = target.config.filesRoot ?? need('filesRoot');
        items.push({
          source, object, type, destination: original ? root : joinPath(root, opts.kind === 'drill' ? `drill-${manifest.setId}` : manifest.setId),
          ...(paths ? { paths } : {}),
          ...(object.format === 'files-v2' ? { packs: manifest.format === 'cofre-set/2' ? manifest.packs ?? [] : [] } : {}),
        });
      }
    }
  }
  if (items.length === 0) throw new CofreError('INVALID_ARGUMENT', 'nothing to restore: the selection is empty', said('restore.emptySelection'));
  return items;
}

export function psqlCommand(c: PgConnection, db: string, extra: string[] = []): string {
  return `psql -X -q -At -v ON_ERROR_STOP=1 ${shJoin([...pgDbArgs(c, db), ...extra])}`;
}

export function pgExecEnv(c: PgConnection): { env: Record<string, string> } | Record<string, never> {
  const e = pgEnv(c);
  return e ? { env: e } : {};
}

export async function pgQuery(host: RemoteHost, c: PgConnection, db: string, sql: string): Promise<string[]> {
  const r = await host.runChecked(`${psqlCommand(c, db)} -c ${shq(sql)}`, { ...pgExecEnv(c), label: 'psql' });
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

export function pgIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * How a database is created and filled on a target: production keeps the set's owners and grants
 * (its roles were applied first); staging leaves them out (the set's roles may not exist there),
 * and with `postgres.owner` the database and every object in it belong to that role (pg_restore
 * --role). Whole-database and single-table restores both take it from here.
 */
export interface PgRestoreMode {
  createSql: (db: string) => string;
  /** pg_restore flags (before the connection and file arguments) */
  flags: string[];
}

export function pgRestoreMode(target: TargetInfo): PgRestoreMode {
  const production = target.config.kind === 'production';
  const owner = production ? undefined : target.config.postgres?.owner;
  return {
    createSql: (db) => `CREATE DATABASE ${pgIdent(db)}${owner ? ` OWNER ${pgIdent(owner)}` : ''}`,
    flags: ['--exit-on-error', ...(production ? [] : ['--no-owner', '--no-privileges', ...(owner ? [`--role=${owner}`] : [])])],
  };
}

export function pgString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function mysqlCommand(c: MyConnection, db?: string): string {
  return `mysql --batch --skip-column-names --default-character-set=utf8mb4 ${shJoin([...myConnArgs(c), ...(db === undefined ? [] : [myDatabaseArg(db)])])}`;
}

export { myEnv, pgConnArgs, pgDbArgs, myConnArgs };
