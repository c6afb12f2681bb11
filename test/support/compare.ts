/** Content fingerprints used to prove a restore equals the original. */
import { execFileSync } from 'node:child_process';
import { readdirSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import type { PostgresInfo, MariadbInfo } from '../harness/index.js';
import { pgPsql, mariadbSql } from '../harness/index.js';

/** md5 of every user table's rows (sorted), every sequence's value and every large object. */
export async function pgFingerprint(pg: Pick<PostgresInfo, 'host' | 'port' | 'user'>, db: string): Promise<Record<string, string>> {
  const tables = (await pgPsql(pg, `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`, db))
    .split('\n').filter(Boolean);
  const out: Record<string, string> = {};
  for (const t of tables) {
    out[t] = (await pgPsql(pg, `SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM ${t} x`, db)).trim();
  }
  const seqs = (await pgPsql(pg, `SELECT schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'null') FROM pg_sequences ORDER BY 1`, db)).trim();
  out['sequences'] = seqs;
  out['largeObjects'] = (await pgPsql(pg, `SELECT count(*) || ':' || md5(coalesce(string_agg(md5(lo_get(oid)), ',' ORDER BY md5(lo_get(oid))), '')) FROM pg_largeobject_metadata`, db)).trim();
  return out;
}

export async function myFingerprint(my: Pick<MariadbInfo, 'host' | 'port' | 'user' | 'password'>, db: string): Promise<Record<string, string>> {
  const tables = (await mariadbSql(my, `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1`, db)).split('\n').filter(Boolean);
  const out: Record<string, string> = {};
  for (const t of tables) {
    const rows = await mariadbSql(my, `SET NAMES utf8mb4; SELECT * FROM \`${t}\` ORDER BY 1`, db);
    out[t] = createHash('sha256').update(rows).digest('hex');
  }
  return out;
}

export interface FileEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size?: number;
  sha256?: string;
  target?: string;
  mtime?: number;
}

/**
 * Every entry below root: type, permission bits, content hash, symlink target, file mtime.
 * `skip(path, name)` leaves entries out (a source's excludes); sockets, fifos and devices are
 * always left out (a backup lists and skips them).
 */
export function treeFingerprint(root: string, opts: { skip?: (path: string, name: string) => boolean } = {}): FileEntry[] {
  const out: FileEntry[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full);
      const path = relative(root, full);
      const mode = st.mode & 0o7777;
      if (opts.skip?.(path, name)) continue;
      if (st.isSymbolicLink()) out.push({ path, type: 'symlink', mode: 0, target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.push({ path, type: 'dir', mode });
        walk(full);
      } else if (st.isFile()) {
        out.push({ path, type: 'file', mode, size: st.size, sha256: createHash('sha256').update(readFileSync(full)).digest('hex'), mtime: Math.floor(st.mtimeMs / 1000) });
      }
    }
  };
  walk(root);
  return out;
}

/** Runs a shell pipeline with pipefail; throws with stderr on failure. */
export function sh(script: string): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}
