/**
 * The copies restores keep of what they replace (`cofre kept`): listed from this catalog's
 * restores and looked up on the real target (staging `names: original` databases `<db>_antes_<stamp>`,
 * a production safety folder under /var/tmp), removed one at a time on purpose: the newest copy of
 * an original only with --force, a name that only looks like a copy never, each removal audited.
 * Real sshd, PostgreSQL (production and staging clusters), MariaDB, folder storage.
 */
import { describe, it, expect, inject, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { AppContext } from '../../src-main/app/context.js';
import { runBackup } from '../../src-main/backup/run.js';
import { runRestore } from '../../src-main/restore/restore.js';
import { listKeptCopies, removeKeptCopy } from '../../src-main/restore/kept-copies.js';
import { toErrorInfo } from '../../src-main/errors.js';
import { pgPsql, pgCreateDatabase } from '../harness/index.js';
import { makeFixture, type Fixture } from '../support/backup-fixture.js';
import { cofre } from '../support/cli.js';

const h = inject('harness');

describe('kept copies: list and remove on purpose', () => {
  let fx: Fixture;
  let setId: string;
  const ctx = (): AppContext => new AppContext({ env: fx.env });
  const dbs = async (): Promise<string[]> => (await pgPsql(h.postgresStaging, 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');
  const failure = async (p: Promise<unknown>): Promise<ReturnType<typeof toErrorInfo>> => toErrorInfo(await p.then(() => undefined, (e: unknown) => e));
  let lookalike: string;

  beforeAll(async () => {
    fx = await makeFixture(h, {
      largeBytes: 1024,
      extraYaml: `restoreTargets:
  homolog_orig:
    kind: staging
    names: original
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
  producao:
    kind: production
    server: clinica
    postgres: { host: 127.0.0.1, port: ${h.postgresStaging.port}, user: postgres }
`,
    });
    const c = ctx();
    const r = await runBackup(c, 'local');
    c.close();
    expect(r.error).toBeUndefined();
    setId = r.setId;
    // staging already holds an older copy under the production name
    await pgCreateDatabase(h.postgresStaging, fx.pgDb);
    lookalike = `${fx.pgDb}_antes_20200101000000`;
    await pgCreateDatabase(h.postgresStaging, lookalike);
  }, 240_000);

  afterAll(async () => {
    for (const d of (await dbs().catch(() => [] as string[])).filter((n) => n.startsWith(fx.pgDb))) await pgPsql(h.postgresStaging, `DROP DATABASE "${d}" WITH (FORCE)`).catch(() => undefined);
  });

  it('lists what restores kept, with size and state, and removes only on purpose', async () => {
    const c = ctx();
    // two staging restores under the production names: each moves the previous copy aside
    for (let i = 0; i < 2; i++) {
      const r = await runRestore(c, { setId, target: 'homolog_orig', sources: ['banco'] });
      expect(r.error).toBeUndefined();
      expect(r.movedAside).toHaveLength(1);
      await new Promise((res) => setTimeout(res, 1100)); // the aside name has a one-second stamp
    }
    // a production restore: its safety folder
    const p = await runRestore(c, { setId, target: 'producao', sources: ['banco'], yes: true, confirmName: 'producao' });
    expect(p.error).toBeUndefined();
    const safety = p.safetyDumps[0]!.replace(/\/[^/]+$/, '');
    expect(existsSync(safety)).toBe(true);

    const kept = await listKeptCopies(c);
    const asides = (await dbs()).filter((d) => d.startsWith(`${fx.pgDb}_antes_`) && d !== lookalike);
    expect(asides).toHaveLength(2);
    const pgKept = kept.filter((k) => k.kind === 'postgres');
    // newest first; only the copies restores made, not the look-alike made by hand
    expect(pgKept.map((k) => k.name)).toEqual([...asides].sort().reverse());
    expect(pgKept.map((k) => k.newest)).toEqual([true, false]);
    expect(pgKept.every((k) => k.exists && k.of === fx.pgDb && k.target === 'homolog_orig' && (k.bytes ?? 0) > 1_000_000)).toBe(true);
    expect(kept.find((k) => k.kind === 'safety')).toMatchObject({ name: safety, target: 'producao', exists: true, newest: true });
    expect(kept.some((k) => k.name === lookalike)).toBe(false);

    const [newest, older] = pgKept;
    // the CLI shows the same list, and refuses the newest copy without --force (exit 1, pt-BR key in --json)
    const listed = await cofre(['kept', '--target', 'homolog_orig', '--json'], { env: fx.env, fromSource: true });
    expect(listed.code).toBe(0);
    expect((listed.json as Array<{ name: string; newest: boolean }>).map((k) => [k.name, k.newest])).toEqual([[newest!.name, true], [older!.name, false]]);
    const human = await cofre(['kept'], { env: fx.env, fromSource: true });
    expect(human.stdout).toContain(`homolog_orig\tpostgres\t${newest!.name}\t`);
    expect(human.stdout).toContain(`producao\tsafety\t${safety}\t`);
    const cliRefused = await cofre(['kept', 'remove', newest!.name, '--target', 'homolog_orig', '--yes', '--json'], { env: fx.env, fromSource: true });
    expect(cliRefused.code).toBe(1);
    expect((cliRefused.json as { error: { key: string } }).error.key).toBe('drill.kept.newest');
    expect(cliRefused.stderr).toMatch(/newest copy of .* refused, nothing was removed/);
    // without --yes: nothing happens
    expect((await failure(removeKeptCopy(c, older!.name, {}))).key).toBe('drill.kept.confirm');
    expect(await dbs()).toContain(older!.name);
    // the older copy goes; the newest is refused without --force; the look-alike is never touched
    expect((await removeKeptCopy(c, older!.name, { yes: true })).removed.name).toBe(older!.name);
    expect(await dbs()).not.toContain(older!.name);
    const refused = await failure(removeKeptCopy(c, newest!.name, { yes: true }));
    expect(refused).toMatchObject({ code: 'CONFIRMATION_REQUIRED', key: 'drill.kept.newest' });
    expect(await dbs()).toContain(newest!.name);
    expect(await failure(removeKeptCopy(c, lookalike, { yes: true, force: true }))).toMatchObject({ key: 'drill.kept.unknown' });
    expect(await dbs()).toContain(lookalike);
    // a copy already gone says so
    expect((await failure(removeKeptCopy(c, older!.name, { yes: true }))).key).toBe('drill.kept.gone');
    // with --force: the newest too; the safety folder likewise
    await removeKeptCopy(c, newest!.name, { yes: true, force: true });
    expect(await dbs()).not.toContain(newest!.name);
    expect((await failure(removeKeptCopy(c, safety, { yes: true }))).key).toBe('drill.kept.newest');
    await removeKeptCopy(c, safety, { yes: true, force: true });
    expect(existsSync(safety)).toBe(false);
    expect((await listKeptCopies(c)).filter((k) => k.exists)).toEqual([]);
    const audit = c.catalog.listAudit({ action: 'kept.remove' });
    expect(audit.map((a) => (a.details as { name: string }).name).sort()).toEqual([older!.name, newest!.name, safety].sort());
    c.close();
  }, 240_000);
});
