/** The restore wizard: point → target → preflight → transfer → validation → report. */
import { createStore } from 'zustand/vanilla';
import type { RpcClient } from '../../../shared/rpc/client.js';
import type { RpcError } from '../../../shared/rpc/define.js';
import type { Target, Preflight, RestoreProgress, RestoreFinished } from '../../../shared/rpc/contracts/restore.js';

export type WizardStep = 'point' | 'target' | 'preflight' | 'transfer' | 'report';

export interface RestoreState {
  step: WizardStep;
  targets: Target[];
  setId: string | undefined;
  target: string | undefined;
  confirmName: string;
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
  setConfirmName(text: string): void;
  /** production targets need the name typed exactly */
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
  preflight: undefined,
  restoreId: undefined,
  startedAt: undefined,
  progress: undefined,
  progressAt: undefined,
  finished: undefined,
  error: undefined,
  busy: false,
};

export function createRestoreStore(client: RpcClient, now: () => number = () => Date.now()) {
  return createStore<RestoreState>()((set, get) => ({
    ...initial,
    targets: [],
    async loadTargets() {
      const res = await client.call('targets.list');
      set(res.ok ? { targets: res.value.targets } : { error: res.error });
    },
    choosePoint(setId) {
      set({ setId, step: 'target', preflight: undefined, error: undefined });
    },
    chooseTarget(name) {
      set({ target: name, confirmName: '', preflight: undefined, error: undefined });
    },
    setConfirmName(text) {
      set({ confirmName: text });
    },
    canProceed() {
      const { target, targets, confirmName } = get();
      const t = targets.find((x) => x.name === target);
      if (!t) return false;
      return t.kind === 'staging' || confirmName === t.name;
    },
    async runPreflight() {
      const { setId, target } = get();
      if (!setId || !target || !get().canProceed()) return;
      set({ busy: true, error: undefined });
      const res = await client.call('restore.preflight', { setId, target });
      set(res.ok ? { preflight: res.value, step: 'preflight', busy: false } : { error: res.error, busy: false });
    },
    async start() {
      const { setId, target, confirmName, preflight } = get();
      if (!setId || !target || !preflight || !preflight.checks.every((c) => c.ok)) return;
      set({ busy: true, error: undefined });
      const res = await client.call('restore.start', { setId, target, ...(confirmName ? { confirmName } : {}) });
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
  }));
}
export type RestoreStore = ReturnType<typeof createRestoreStore>;
