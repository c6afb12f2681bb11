/**
 * The file browser of the in-memory services: every set with a files source holds the same small
 * clinic tree (a folder of 250 exams for paging, unicode names), one file changing size per day.
 * Built on the engine's own BrowseIndex, so paging and search behave as in the real engine.
 */
import { CofreError } from '../../src-main/errors.js';
import { BrowseIndex, type SourcedEntry } from '../../src-main/files2/browse.js';
import type { EngineServices, CallContext } from '../../src-main/rpc/services.js';
import type { BackupSet } from '../../shared/rpc/contracts/sets.js';
import type { FileVersion } from '../../shared/rpc/contracts/files.js';

const ROOT = '/srv/clinica/uploads';

function entry(type: 'f' | 'd', path: string, size: number, mtime: number, cid: string): SourcedEntry {
  return {
    type, path, mode: type === 'd' ? '755' : '644', uid: 0, gid: 0, owner: 'root', group: 'root', mtime: String(mtime), size, target: '',
    linkGroup: 0, sparse: false, cid, pack: cid ? 'p.tar' : '', member: cid, source: 'arquivos',
  };
}

/** The tree of one set: the day's `agenda.txt` grows a line each day. */
export function memoryTree(set: BackupSet): SourcedEntry[] {
  const day = Math.floor(Date.parse(set.createdAt) / 86_400_000);
  const t = Date.parse(set.createdAt) / 1000 - 3600;
  const out: SourcedEntry[] = [entry('d', ROOT, 0, t, ''), entry('d', `${ROOT}/exames`, 0, t, ''), entry('d', `${ROOT}/prontuários`, 0, t, ''), entry('d', `${ROOT}/prontuários/Zoë 🩺`, 0, t, '')];
  out.push(entry('f', `${ROOT}/agenda.txt`, 100 + (day % 50), t, `agenda-${day}`));
  out.push(entry('f', `${ROOT}/prontuários/Zoë 🩺/receita.pdf`, 48_213, 1_700_000_000, 'receita'));
  for (let i = 1; i <= 250; i++) out.push(entry('f', `${ROOT}/exames/exame-${String(i).padStart(3, '0')}.pdf`, i * 1024, 1_700_000_000 + i * 86_400, `exame-${i}`));
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function memoryFiles(listSets: () => BackupSet[], findSet: (setId: string) => BackupSet, record: (ctx: CallContext, action: string, target: string, details: string) => void): EngineServices['files'] {
  const indexOf = (setId: string): BrowseIndex | undefined => {
    const set = findSet(setId);
    return set.sources.some((s) => s.type === 'files') ? new BrowseIndex(memoryTree(set)) : undefined;
  };
  const tickets = new Map<string, { setId: string; path: string; actor: string }>();
  let seq = 0;
  return {
    async list(input) {
      const set = findSet(input.setId);
      const index = indexOf(input.setId);
      if (!index) throw new CofreError('INVALID_ARGUMENT', `set ${input.setId} has no files source`);
      return { setId: set.setId, format: 'index', ...index.list(input), sources: ['arquivos'] };
    },
    async versions(setId, path) {
      const mine = indexOf(setId)?.get(path);
      if (!mine) throw new CofreError('INVALID_ARGUMENT', `${path} is not in set ${setId}`, { key: 'browser.pathNotInSet', params: { path } });
      const versions: FileVersion[] = [];
      for (const s of listSets().filter((x) => x.complete)) {
        const e = indexOf(s.setId)?.get(path);
        if (!e) continue;
        versions.push({
          setId: s.setId, plan: s.plan, storage: s.storage, createdAt: s.createdAt, type: e.type === 'd' ? 'dir' : 'file', size: e.size,
          mtime: new Date(Number(e.mtime) * 1000).toISOString(), sameContent: e.cid === mine.cid, current: s.setId === setId,
        });
      }
      return { path, versions, skipped: [] };
    },
    async save(input, ctx) {
      const e = indexOf(input.setId)?.get(input.path);
      if (!e) throw new CofreError('INVALID_ARGUMENT', `${input.path} is not in set ${input.setId}`, { key: 'browser.pathNotInSet', params: { path: input.path } });
      const ticket = `t${++seq}`;
      tickets.set(ticket, { setId: input.setId, path: input.path, actor: ctx.actor });
      const name = input.path.slice(input.path.lastIndexOf('/') + 1);
      return { kind: 'download', url: `/download/${ticket}`, name: e.type === 'd' ? `${name}.tar` : name };
    },
    async takeDownload(ticket) {
      const t = tickets.get(ticket);
      tickets.delete(ticket);
      if (!t) return undefined;
      const body = Buffer.from(`conteúdo de ${t.path}\n`);
      return {
        name: t.path.slice(t.path.lastIndexOf('/') + 1),
        size: body.length,
        write: async (out) => {
          out.end(body);
          record({ actor: t.actor }, 'files.save', t.setId, `${t.path} → download`);
          return body.length;
        },
      };
    },
  };
}
