/**
 * What the restore wizard may offer: which listed sets can be restored, which of a set's
 * sources a target can receive, and the data age a point in time implies. Pure functions
 * (unit-tested); the restore store and Restaurar.tsx use them.
 */
import type { BackupSet } from '../../../shared/rpc/contracts/sets.js';
import type { Target, SourceType } from '../../../shared/rpc/contracts/restore.js';

/**
 * A set the wizard lists as a restore point: complete and, when storage listing reports a
 * state (complete / incomplete / doubtful / unsigned), only a complete one. Fail closed: any
 * other state is never offered.
 */
export function isRestorable(set: BackupSet): boolean {
  const state = (set as BackupSet & { state?: unknown }).state;
  return set.complete && (state === undefined || state === 'complete');
}

export interface SourceChoice {
  name: string;
  type: SourceType;
  bytes: number;
  /** false: the target has no server of this type configured, so this source cannot go there */
  supported: boolean;
}

/** The set's sources for this target; a target that does not list its services accepts all. */
export function sourceChoices(set: BackupSet | undefined, target: Target | undefined): SourceChoice[] {
  if (!set) return [];
  return set.sources.map((s) => ({
    name: s.name,
    type: s.type,
    bytes: s.bytes,
    supported: target?.services === undefined || target.services.includes(s.type),
  }));
}

/** The sources ticked by default: every source the target can receive. */
export function defaultSources(set: BackupSet | undefined, target: Target | undefined): string[] {
  return sourceChoices(set, target).filter((c) => c.supported).map((c) => c.name);
}

/**
 * The `sources` to send: undefined when every source of the set is chosen (the engine's
 * default, like a CLI restore without --sources), else the chosen names in the set's order.
 */
export function sourcesToSend(set: BackupSet | undefined, chosen: readonly string[]): string[] | undefined {
  if (!set) return undefined;
  const all = set.sources.map((s) => s.name);
  const picked = all.filter((n) => chosen.includes(n));
  return picked.length === all.length ? undefined : picked;
}

/** How old the restored data would be at the chosen instant: instant − when the set was taken. */
export function dataAgeMs(atIso: string, setCreatedAt: string): number {
  return Math.max(0, Date.parse(atIso) - Date.parse(setCreatedAt));
}
