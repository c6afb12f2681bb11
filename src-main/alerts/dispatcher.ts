/**
 * Sends alerts once per state change. `raise('plan:diario:failing', msg)` alerts when the key
 * goes from fine to failing; while it stays failing, further raises are silent. `resolve(key,
 * recoveryMsg)` sends one recovery alert when a failing key recovers. The state lives in an
 * injected store (the catalog in production), so a restart neither repeats nor forgets alerts.
 *
 * Every channel gets its own attempt: one failing channel does not stop the others, and each
 * outcome is reported through `record`. A state change is committed only if at least one
 * channel delivered it; if none did, the next raise/resolve tries again.
 */
import { toErrorInfo } from '../errors.js';
import type { ErrorInfo } from '../errors.js';
import type { AlertMessage } from './message.js';

export interface AlertChannel {
  name: string;
  send(msg: AlertMessage): Promise<void>;
}

export interface StateStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export interface DeliveryRecord {
  key: string;
  transition: 'raise' | 'resolve';
  kind: AlertMessage['json']['kind'];
  channel: string;
  ok: boolean;
  error?: ErrorInfo;
  at: Date;
}

export interface AlerterDeps {
  channels: AlertChannel[];
  record(event: DeliveryRecord): void;
  now(): Date;
  state: StateStore;
}

export interface DispatchResult {
  /** false when the key was already in that state (nothing sent) */
  sent: boolean;
  outcomes: Array<{ channel: string; ok: boolean; error?: ErrorInfo }>;
}

export interface Alerter {
  raise(key: string, alert: AlertMessage): Promise<DispatchResult>;
  resolve(key: string, recovery: AlertMessage): Promise<DispatchResult>;
  /** sends to every channel regardless of state (the console's "send a test alert") */
  send(key: string, alert: AlertMessage): Promise<DispatchResult>;
  isFailing(key: string): boolean;
}

const FAILING = 'failing';
const OK = 'ok';

/** A StateStore in memory, for tests and for hosts without a catalog. */
export function memoryStateStore(): StateStore & { entries(): Map<string, string> } {
  const map = new Map<string, string>();
  return { get: (k) => map.get(k), set: (k, v) => void map.set(k, v), entries: () => new Map(map) };
}

export function createAlerter(deps: AlerterDeps): Alerter {
  // One transition at a time per key, so two concurrent raises cannot both alert.
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return next;
  };

  async function deliver(key: string, transition: DeliveryRecord['transition'], msg: AlertMessage): Promise<DispatchResult> {
    const outcomes = await Promise.all(
      deps.channels.map(async (channel) => {
        try {
          await channel.send(msg);
          return { channel: channel.name, ok: true as const };
        } catch (err) {
          return { channel: channel.name, ok: false as const, error: toErrorInfo(err) };
        }
      }),
    );
    for (const outcome of outcomes) {
      const record: DeliveryRecord = { key, transition, kind: msg.json.kind, channel: outcome.channel, ok: outcome.ok, at: deps.now() };
      if (outcome.error !== undefined) record.error = outcome.error;
      try {
        deps.record(record);
      } catch {
        // A broken audit hook must not turn a delivered alert into a failure.
      }
    }
    return { sent: true, outcomes };
  }

  const anyOk = (r: DispatchResult): boolean => r.outcomes.some((o) => o.ok);

  return {
    raise: (key, alert) =>
      serial(key, async () => {
        if (deps.state.get(key) === FAILING) return { sent: false, outcomes: [] };
        const result = await deliver(key, 'raise', alert);
        if (anyOk(result)) deps.state.set(key, FAILING);
        return result;
      }),
    resolve: (key, recovery) =>
      serial(key, async () => {
        if (deps.state.get(key) !== FAILING) return { sent: false, outcomes: [] };
        const result = await deliver(key, 'resolve', recovery);
        if (anyOk(result)) deps.state.set(key, OK);
        return result;
      }),
    send: (key, alert) => serial(key, () => deliver(key, 'raise', alert)),
    isFailing: (key) => deps.state.get(key) === FAILING,
  };
}
