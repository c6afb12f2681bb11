/**
 * The file browser of one set (Cópias, and the restore wizard's path picker): the engine holds
 * the set's index and answers one folder or one search page at a time; this store keeps where
 * the technician is, the other versions of a path and the "salvar no computador" confirmation.
 */
import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { FileEntry, FilesList, FileVersions, FilesSave } from '../../../shared/rpc/contracts/files.js';

export const FILES_PAGE_SIZE = 100;

export interface FileFilters {
  minSize?: number | undefined;
  maxSize?: number | undefined;
  modifiedAfter?: string | undefined;
  modifiedBefore?: string | undefined;
}

export interface FilesState {
  setId: string | undefined;
  /** the folder shown (undefined: the set's top folders) */
  dir: string | undefined;
  /** the search in effect ('' and no filters: browsing) */
  query: string;
  filters: FileFilters;
  page: number;
  listing: FilesList | undefined;
  /** the set's top folders, as the first listing showed them (for the breadcrumbs) */
  roots: string[];
  loading: boolean;
  error: RpcError | undefined;
  versions: { path: string; result?: FileVersions; error?: RpcError } | undefined;
  /** the entry whose save waits for the technician's confirmation */
  pendingSave: FileEntry | undefined;
  saving: boolean;
  saved: (FilesSave & { path: string }) | undefined;
  saveError: RpcError | undefined;
  open(setId: string): Promise<void>;
  close(): void;
  cd(dir: string | undefined): Promise<void>;
  search(query: string, filters?: FileFilters): Promise<void>;
  clearSearch(): Promise<void>;
  goPage(page: number): Promise<void>;
  showVersions(path: string): Promise<void>;
  closeVersions(): void;
  askSave(entry: FileEntry): void;
  cancelSave(): void;
  /** Saves the pending entry; the answer says where it went (or the download link to follow). */
  confirmSave(): Promise<FilesSave | undefined>;
}

const blank = {
  setId: undefined,
  dir: undefined,
  query: '',
  filters: {},
  page: 1,
  listing: undefined,
  roots: [] as string[],
  loading: false,
  error: undefined,
  versions: undefined,
  pendingSave: undefined,
  saving: false,
  saved: undefined,
  saveError: undefined,
};

function definedFilters(f: FileFilters): FileFilters {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== '')) as FileFilters;
}

export function isSearching(s: Pick<FilesState, 'query' | 'filters'>): boolean {
  return s.query.trim() !== '' || Object.keys(definedFilters(s.filters)).length > 0;
}

export function createFilesStore(client: RpcClient) {
  return createStore<FilesState>()((set, get) => {
    /** The last request wins: an older answer arriving late is dropped. */
    let asked = 0;
    const fetch = async (): Promise<void> => {
      const { setId, dir, query, filters, page } = get();
      if (!setId) return;
      const mine = ++asked;
      set({ loading: true, error: undefined });
      const res = await client.call('files.list', {
        setId, page, pageSize: FILES_PAGE_SIZE, ...(dir ? { dir } : {}), ...(query.trim() ? { query: query.trim() } : {}), ...definedFilters(filters),
      });
      if (mine !== asked) return;
      if (!res.ok) return set({ error: res.error, loading: false });
      const top = dir === undefined && !isSearching({ query, filters });
      set({ listing: res.value, page: res.value.page, loading: false, ...(top ? { roots: res.value.entries.map((e) => e.path) } : {}) });
    };
    return {
      ...blank,
      async open(setId) {
        set({ ...blank, setId });
        await fetch();
      },
      close() {
        asked++;
        set({ ...blank });
      },
      async cd(dir) {
        set({ dir, query: '', filters: {}, page: 1, versions: undefined });
        await fetch();
      },
      async search(query, filters = {}) {
        set({ query, filters: definedFilters(filters), page: 1, versions: undefined });
        await fetch();
      },
      async clearSearch() {
        set({ query: '', filters: {}, page: 1 });
        await fetch();
      },
      async goPage(page) {
        set({ page });
        await fetch();
      },
      async showVersions(path) {
        const { setId } = get();
        if (!setId) return;
        set({ versions: { path } });
        const res = await client.call('files.versions', { setId, path });
        if (get().versions?.path !== path) return;
        set({ versions: res.ok ? { path, result: res.value } : { path, error: res.error } });
      },
      closeVersions() {
        set({ versions: undefined });
      },
      askSave(entry) {
        set({ pendingSave: entry, saved: undefined, saveError: undefined });
      },
      cancelSave() {
        set({ pendingSave: undefined });
      },
      async confirmSave() {
        const { setId, pendingSave } = get();
        if (!setId || !pendingSave) return undefined;
        set({ saving: true, saveError: undefined });
        const res = await client.call('files.save', { setId, path: pendingSave.path });
        if (!res.ok) {
          set({ saving: false, saveError: res.error });
          return undefined;
        }
        set({ saving: false, pendingSave: undefined, saved: { ...res.value, path: pendingSave.path } });
        return res.value;
      },
    };
  });
}
export type FilesStore = ReturnType<typeof createFilesStore>;
