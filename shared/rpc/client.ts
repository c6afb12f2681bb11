/**
 * The console's side of the RPC: typed `call` (answers are values, never throws) and `on` for
 * pushed events. Works over any Transport.
 */
import { ResponseMessageSchema, EventMessageSchema, type RequestId } from './envelope.js';
import type { Result } from './define.js';
import type { Transport } from './transport.js';
import type { MethodName, MethodInput, MethodOutput, EventName, EventPayload } from './contract.js';
import { isEventName, isMethodName } from './contract.js';

/** The input may be left out when the method takes nothing required. */
type OptionalWhenEmpty<I> = undefined extends I ? [input?: I] : Partial<I> extends I ? [input?: I] : [input: I];

export interface RpcClient {
  call<M extends MethodName>(method: M, ...input: OptionalWhenEmpty<MethodInput<M>>): Promise<Result<MethodOutput<M>>>;
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
  close(): void;
}

export function createRpcClient(transport: Transport, options: { timeoutMs?: number } = {}): RpcClient {
  const timeoutMs = options.timeoutMs ?? 120_000;
  let nextId = 1;
  const pending = new Map<RequestId, { resolve: (r: Result<unknown>) => void; timer: ReturnType<typeof setTimeout> }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  const settle = (id: RequestId, result: Result<unknown>): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(result);
  };

  const stopMessages = transport.onMessage((raw) => {
    const res = ResponseMessageSchema.safeParse(raw);
    if (res.success) {
      if (res.data.id !== null) settle(res.data.id, res.data.result);
      return;
    }
    const evt = EventMessageSchema.safeParse(raw);
    if (evt.success && isEventName(evt.data.event)) {
      for (const h of listeners.get(evt.data.event) ?? []) h(evt.data.payload);
    }
  });

  const failAll = (): void => {
    for (const id of [...pending.keys()]) {
      settle(id, { ok: false, error: { code: 'DISCONNECTED', message: 'The connection to the Cofre engine was lost.', hint: 'Reload the console; if it persists, restart Cofre.' } });
    }
  };
  const stopClose = transport.onClose?.(failAll);

  return {
    call(method, ...args) {
      if (!isMethodName(method)) {
        return Promise.resolve({ ok: false, error: { code: 'INVALID_ARGUMENT', message: `Unknown method ${String(method)}.` } });
      }
      const id = nextId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          settle(id, { ok: false, error: { code: 'TIMEOUT', message: `No answer to ${method} after ${Math.round(timeoutMs / 1000)} s.`, hint: 'Check that Cofre is still running.' } });
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (r: Result<unknown>) => void, timer });
        transport.send({ t: 'req', id, method, input: args[0] ?? {} });
      });
    },
    on(event, handler) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const h = handler as (payload: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
    close() {
      stopMessages();
      stopClose?.();
      failAll();
    },
  };
}
