/** The restore wizard: point → target → preflight → transfer → validation → report. */
import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Target, Preflight, RestoreProgress, RestoreFinished, ResolvedPoint } from '../../../shared/rpc/contracts/restore.js';
import type { BackupSet } from '../../../shared/rpc/contracts/sets.js';
import { defaultSources, sourcesToSend } from './restore-choice.js';

export type WizardStep = 'point' | 'target' | 'preflight' | 'transfer' | 'report';

export interface RestoreState {
  step: WizardStep;
  targets: Target[];
  setId: string | undefined;
  target: string | undefined;
  confirmName: string;
  /** the sources ticked in step 2 (only those the target can receive) */
  sources: string[];
  /** only these server paths of the files sources (empty: whole sources) */
  paths: string[];
  /** the point in time asked for in step 1 and the set it picks */
  point: ResolvedPoint | undefined;
  pointError: RpcError | undefined;
  resolving: boolean;
  preflight: Preflight | undefined;
  restoreId: string | undefined;
  startedAt: number | undefined;
  progress: RestoreProgress | undefined;
  /** when the last progress event arrived (ms since epoch) */
  progressAt: number | undefined;
  finished: RestoreFinished | undefined;
  error: RpcError | undefined;
  busy: boolean;
  loadTargets(): Promise<void>;
  choosePoint(setId: string): void;
  chooseTarget(name: string): void;
  /** Asks the engine which set an instant picks (the `--at` rule); the list highlights it. */
  resolveAt(atIso: string): Promise<void>;
  toggleSource(name: string, on: boolean): void;
  /** The file browser's "Restaurar…": this set, only this path, straight to step 2. */
  restorePath(setId: string, path: string): void;
  addPath(path: string): void;
  removePath(path: string): void;
  setConfirmName(text: string): void;
  /** production targets need the name typed exactly; at least one source must be ticked */
  canProceed(): boolean;
  runPreflight(): Promise<void>;
  start(): Promise<void>;
  back(): void;
  reset(): void;
  onProgress(p: RestoreProgress): void;
  onFinished(f: RestoreFinished): void;
}

const initial = {
  step: 'point' as WizardStep,
  setId: undefined,
  target: undefined,
  confirmName: '',
  sources: [] as string[],
  paths: [] as string[],
  point: undefined,
  pointError: undefined,
  resolving: false,
  preflight: undefined,
  restoreId: undefined,
  startedAt: undefined,
  progress: undefined,
  progressAt: undefined,
  finished: undefined,
  error: undefined,
  busy: false,
};

export function createRestoreStore(client: RpcClient, listedSets: () => BackupSet[] = () => [], now: () => number = () => Date.now()) {
  return createStore<RestoreState>()((set, get) => {
    const setOf = (setId: string | undefined): BackupSet | undefined => listedSets().find((s) => s.setId === setId);
    const targetOf = (name: string | undefined): Target | undefined => get().targets.find((x) => x.name === name);
    return {
      ...initial,
      targets: [],
      async loadTargets() {
        const res = await client.call('targets.list');
        set(res.ok ? { targets: res.value.targets } : { error: res.error });
      },
      choosePoint(setId) {
        set({ setId, step: 'target', paths: get().setId === setId ? get().paths : [], sources: defaultSources(setOf(setId), targetOf(get().target)), preflight: undefined, error: undefined });
      },
      chooseTarget(name) {
        set({ target: name, confirmName: '', sources: defaultSources(setOf(get().setId), targetOf(name)), preflight: undefined, error: undefined });
      },
      async resolveAt(atIso) {
        set({ resolving: true, pointError: undefined });
        const res = await client.call('restore.resolveAt', { at: atIso });
        set(res.ok ? { point: res.value, resolving: false } : { point: undefined, pointError: res.error, resolving: false });
      },
      toggleSource(name, on) {
        const choice = setOf(get().setId)?.sources.find((s) => s.name === name);
        const target = targetOf(get().target);
        // a source the target cannot receive stays unticked
        if (on && choice && target?.services && !target.services.includes(choice.type)) return;
        const rest = get().sources.filter((n) => n !== name);
        set({ sources: on ? [...rest, name] : rest, preflight: undefined });
      },
      restorePath(setId, path) {
        set({ ...initial, setId, step: 'target', paths: [path], sources: defaultSources(setOf(setId), targetOf(get().target)) });
      },
      addPath(path) {
        const rest = get().paths.filter((p) => p !== path && !p.startsWith(`${path}/`));
        // a path under one already chosen adds nothing
        if (rest.some((p) => path.startsWith(`${p}/`))) return;
        set({ paths: [...rest, path], preflight: undefined });
      },
      removePath(path) {
        set({ paths: get().paths.filter((p) => p !== path), preflight: undefined });
      },
      setConfirmName(text) {
        set({ confirmName: text });
      },
      canProceed() {
        const { target, targets, confirmName, sources, paths } = get();
        const t = targets.find((x) => x.name === target);
        if (!t || (sources.length === 0 && paths.length === 0)) return false;
        return t.kind === 'staging' || confirmName === t.name;
      },
      async runPreflight() {
        const { setId, target } = get();
        if (!setId || !target || !get().canProceed()) return;
        set({ busy: true, error: undefined });
        const paths = get().paths;
        // with paths only the files sources are restored (as `restore --path`): no source list
        const sources = paths.length ? undefined : sourcesToSend(setOf(setId), get().sources);
        const res = await client.call('restore.preflight', { setId, target, ...(sources ? { sources } : {}), ...(paths.length ? { paths } : {}) });
        set(res.ok ? { preflight: res.value, step: 'preflight', busy: false } : { error: res.error, busy: false });
      },
      async start() {
        const { setId, target, confirmName, preflight } = get();
        if (!setId || !target || !preflight || !preflight.checks.every((c) => c.ok)) return;
        set({ busy: true, error: undefined });
        const paths = get().paths;
        const sources = paths.length ? undefined : sourcesToSend(setOf(setId), get().sources);
        const res = await client.call('restore.start', { setId, target, ...(sources ? { sources } : {}), ...(paths.length ? { paths } : {}), ...(confirmName ? { confirmName } : {}) });
        if (!res.ok) return set({ error: res.error, busy: false });
        set({ restoreId: res.value.restoreId, startedAt: now(), step: 'transfer', busy: false, progress: undefined, progressAt: undefined, finished: undefined });
      },
      back() {
        const order: WizardStep[] = ['point', 'target', 'preflight'];
        const i = order.indexOf(get().step);
        if (i > 0) set({ step: order[i - 1] ?? 'point', error: undefined });
      },
      reset() {
        set({ ...initial });
      },
      onProgress(p) {
        if (p.restoreId === get().restoreId) set({ progress: p, progressAt: now() });
      },
      onFinished(f) {
        if (f.restoreId === get().restoreId) set({ finished: f, step: 'report' });
      },
    };
  });
}
export type RestoreStore = ReturnType<typeof createRestoreStore>;
