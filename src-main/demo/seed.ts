/**
 * The demo home: a cofre.yaml pointing at a local folder storage, an age identity, and about
 * ten days of history made by the real code paths — sets encrypted with the real age code and
 * written through the real storage (manifests included; one set left incomplete), catalog runs
 * (one failed, with its error in plain words), a past drill and audit entries. No SSH, no
 * database and no network are needed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog } from '../catalog/catalog.js';
import { FolderStorage } from '../storage/index.js';
import { encryptBuffer, generateIdentity, writeIdentityFile } from '../crypto/age.js';
import { newSetId, objectKey, manifestKey, manifestSigKey } from '../backup/layout.js';
import { generateSigningKey, parseSigningKey } from '../crypto/ssh-key-file.js';
import { signManifest } from '../app/signing.js';
import { COFRE_VERSION } from '../version.js';
import type { Manifest, ManifestSource } from '../../shared/domain.js';
import { globalsSql, mysqlDump, uploadsTar } from './sample-data.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEMO_CONFIG = 'cofre-demo.yaml';

export interface DemoHome {
  home: string;
  configPath: string;
  created: boolean;
  sets: string[];
}

function demoConfig(o: { storagePath: string; identityFile: string; recipient: string; signingKeyFile: string; signer: string }): string {
  return `# Cofre demo configuration (made by \`cofre demo\`). Everything here is an example:
# the "clinica" server is a placeholder (it refuses connections), the storage is a local folder.
# Point servers.clinica at the real clinic server and confirm its fingerprint in *Servidores*.

servers:
  clinica:
    host: 127.0.0.1                 # demo placeholder: replace with the clinic server's address
    port: 9
    user: backup
    privateKeyFile: ~/.ssh/id_ed25519
    location: { provider: clinica, region: sala-servidores }

sources:
  banco:
    server: clinica
    type: postgres
    host: 127.0.0.1
    port: 5432
    user: postgres
    databases: [clinica]
  prontuarios:
    server: clinica
    type: mysql
    host: 127.0.0.1
    port: 3306
    user: backup
    passwordEnv: CLINICA_MYSQL_PASSWORD
    databases: [prontuarios]
  arquivos:
    server: clinica
    type: files
    paths: [/srv/clinica/uploads]
    exclude: ["*.tmp"]

storage:
  nuvem-demo:
    type: folder                    # in production: S3 in another region or provider
    path: ${JSON.stringify(o.storagePath)}
    location: { provider: demo-nuvem, region: outra-regiao }

encryption:
  recipients: ["${o.recipient}"]
  identityFile: ${JSON.stringify(o.identityFile)}
  signingKeyFile: ${JSON.stringify(o.signingKeyFile)}
  signers: [${JSON.stringify(o.signer)}]

plans:
  diario:
    sources: [banco, prontuarios, arquivos]
    storage: nuvem-demo
    schedule: "0 2 * * *"           # every day at 02:00
    timezone: America/Sao_Paulo
    retention: { keepDays: 30, keepMin: 7 }

restoreTargets:
  homologacao:
    kind: staging
    server: clinica
    postgres: { host: 127.0.0.1, port: 5432, user: postgres }
    filesRoot: /srv/restore

drill:
  target: homologacao
`;
}

/** The newest 02:00 in São Paulo (05:00 UTC) at least 10 minutes before `now`. */
function lastDailyRun(now: Date): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 5, 0, 0));
  if (d.getTime() > now.getTime() - 10 * 60_000) d.setTime(d.getTime() - DAY);
  return d;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Creates the demo home (config, identity, storage with sample sets, catalog); reuses an existing one unless `reset`. */
export async function ensureDemoHome(home: string, opts: { now?: Date; reset?: boolean } = {}): Promise<DemoHome> {
  const configPath = join(home, DEMO_CONFIG);
  if (existsSync(configPath) && !opts.reset) return { home, configPath, created: false, sets: [] };
  const now = opts.now ?? new Date();
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const storagePath = join(home, 'storage');
  const stamp = now.toISOString().replace(/[-:.]/g, '').slice(0, 15);
  // a reset starts from a clean catalog and storage (kept aside, never deleted)
  const catalogFile = join(home, 'catalog.sqlite');
  if (opts.reset) {
    const { renameSync } = await import('node:fs');
    for (const f of [catalogFile, `${catalogFile}-wal`, `${catalogFile}-shm`, storagePath]) {
      if (existsSync(f)) renameSync(f, `${f}.old-${stamp}`);
    }
  }
  mkdirSync(storagePath, { recursive: true });
  const identityFile = join(home, 'identity.txt');
  const { identity, recipient } = generateIdentity();
  if (existsSync(identityFile)) {
    const { renameSync } = await import('node:fs');
    renameSync(identityFile, `${identityFile}.old-${stamp}`);
  }
  await writeIdentityFile(identityFile, identity, recipient);
  const signingKeyFile = join(home, 'signing_key');
  if (existsSync(signingKeyFile)) {
    const { renameSync } = await import('node:fs');
    renameSync(signingKeyFile, `${signingKeyFile}.old-${stamp}`);
  }
  const signingKeyText = generateSigningKey('cofre-demo');
  writeFileSync(signingKeyFile, signingKeyText.privateText, { mode: 0o600 });
  const signingKey = parseSigningKey(signingKeyText.privateText, signingKeyFile);
  const signer = signingKeyText.publicLine;

  let clock = now.getTime();
  const catalog = Catalog.open(home, { now: () => new Date(clock) });
  const storage = new FolderStorage({ type: 'folder', name: 'nuvem-demo', path: storagePath, prefix: '', location: { provider: 'demo-nuvem', region: 'outra-regiao' } });
  const sets: string[] = [];
  try {
    const last = lastDailyRun(now);
    catalog.audit('demo', 'config.init', 'cofre-demo.yaml', { recipient });
    for (let d = 9; d >= 0; d--) {
      const started = new Date(last.getTime() - d * DAY);
      const day = started.toISOString().slice(0, 10);
      const setId = newSetId(started);
      const failed = d === 4;
      clock = started.getTime();
      const runId = catalog.startRun({ kind: 'backup', plan: 'diario', setId, trigger: 'schedule' });
      catalog.logRun(runId, 'info', `set ${setId} → folder ${storagePath}`);
      const sources: ManifestSource[] = [];
      let total = 0;
      const put = async (name: string, plain: Buffer): Promise<{ key: string; bytes: number; sha256: string; plainBytes: number }> => {
        const key = objectKey(setId, name);
        const enc = await encryptBuffer(plain, [recipient]);
        await storage.putBytes(key, enc);
        total += enc.length;
        return { key, bytes: enc.length, sha256: sha256(enc), plainBytes: plain.length };
      };
      const g = await put('banco.globals.sql.age', globalsSql(day));
      sources.push({ name: 'banco', type: 'postgres', server: 'clinica', tool: 'pg_dumpall', toolVersion: '15.8', serverVersion: '15.8', objects: [{ part: 'globals', format: 'sql', ...g }] });
      catalog.setRunSource(runId, { source: 'banco', status: 'succeeded', bytes: g.bytes, durationMs: 2100, sha256: g.sha256 });
      const my = mysqlDump(day, 1800 + (9 - d) * 37);
      const m = await put('prontuarios.prontuarios.sql.age', my.sql);
      sources.push({ name: 'prontuarios', type: 'mysql', server: 'clinica', tool: 'mysqldump', toolVersion: '10.19', serverVersion: '10.11.6-MariaDB', objects: [{ part: 'prontuarios', format: 'sql', ...m, rowCounts: my.rowCounts }] });
      catalog.setRunSource(runId, { source: 'prontuarios', status: 'succeeded', bytes: m.bytes, durationMs: 3400, sha256: m.sha256 });
      catalog.logRun(runId, 'info', 'banco: 1 object(s) stored');
      catalog.logRun(runId, 'info', 'prontuarios: 1 object(s) stored');
      clock += 41_000 + d * 1700;
      if (failed) {
        // the upload of the file tree broke off: objects stored so far stay, no manifest → incomplete
        catalog.setRunSource(runId, { source: 'arquivos', status: 'failed', bytes: 0, durationMs: 30_000, sha256: null });
        catalog.logRun(runId, 'error', 'the storage stopped answering while arquivos was being uploaded (connection reset after 3 retries)');
        catalog.finishRun(runId, {
          status: 'failed', bytes: total,
          error: { code: 'STORAGE_UNREACHABLE', message: 'The backup storage stopped answering while the files (arquivos) were being uploaded; this copy is incomplete and cannot be restored.', hint: 'Check the internet link of the backup machine; the next scheduled run will try again.' },
        });
        continue;
      }
      const tar = await uploadsTar(day, started.getTime() - HOUR);
      const a = await put('arquivos.files.tar.age', tar.tar);
      sources.push({ name: 'arquivos', type: 'files', server: 'clinica', tool: 'tar', toolVersion: '1.34', objects: [{ part: 'files', format: 'tar', ...a, fileCount: tar.fileCount, fileBytes: tar.fileBytes }] });
      catalog.setRunSource(runId, { source: 'arquivos', status: 'succeeded', bytes: a.bytes, durationMs: 5200, sha256: a.sha256 });
      const manifest: Manifest = {
        format: 'cofre-set/2', setId, plan: 'diario', createdAt: started.toISOString(), finishedAt: new Date(clock).toISOString(),
        recipients: [recipient], sources, cofreVersion: COFRE_VERSION,
      };
      const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      await storage.putBytes(manifestSigKey(setId), signManifest(manifestBytes, signingKey));
      await storage.putBytes(manifestKey(setId), manifestBytes);
      catalog.logRun(runId, 'info', `set ${setId} complete`);
      catalog.finishRun(runId, { status: 'succeeded', bytes: total, details: { warnings: [] } });
      catalog.audit('daemon', 'backup.create', `diario/${setId}`, { bytes: total, storage: 'nuvem-demo' });
      sets.push(setId);
    }
    // a quarterly drill 40 days ago, and a technician's actions
    clock = now.getTime() - 40 * DAY;
    const drill = catalog.startRun({ kind: 'drill', target: 'homologacao', trigger: 'manual' });
    clock += 2 * HOUR + 13 * 60_000;
    catalog.finishRun(drill, { status: 'succeeded', bytes: 3_400_000_000, details: { restoreId: `drill-${drill}`, rtoMs: 2 * HOUR + 13 * 60_000, rpoMs: 5 * HOUR } });
    catalog.audit('console:tecnico', 'drill.finish', 'homologacao', { restoreId: `drill-${drill}`, status: 'succeeded' });
    clock = now.getTime() - 2 * DAY;
    catalog.audit('console:tecnico', 'sets.verifyDeep', sets[sets.length - 3] ?? '', { ok: true });
    clock = now.getTime() - 6 * HOUR;
    catalog.audit('console:tecnico', 'config.plans.update', 'diario', { schedule: '0 2 * * *' });
  } finally {
    storage.close();
    catalog.close();
  }
  writeFileSync(configPath, demoConfig({ storagePath, identityFile, recipient, signingKeyFile, signer }), { mode: 0o600 });
  return { home, configPath, created: true, sets };
}
