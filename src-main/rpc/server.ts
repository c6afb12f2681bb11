/**
 * Transport-agnostic RPC dispatcher. Every input is parsed with the method's schema before the
 * handler runs; anything malformed gets an INVALID_ARGUMENT answer, never a crash. Outputs are
 * checked against the contract in dev/test, so a handler drifting from the contract fails loudly.
 */
import { RequestMessageSchema, RequestIdSchema, MAX_MESSAGE_BYTES, type ResponseMessage, type RequestId } from '../../shared/rpc/envelope.js';
import { methods, isMethodName, type MethodName, type ParsedInput, type MethodOutput, type EventName, type EventPayload } from '../../shared/rpc/contract.js';
import type { Transport } from '../../shared/rpc/transport.js';
import type { RpcError } from '../../shared/rpc/define.js';
import { toErrorInfo } from '../errors.js';
import type { CallContext } from './services.js';

export type Handlers = {
  [M in MethodName]: (input: ParsedInput<M>, ctx: CallContext) => Promise<MethodOutput<M>>;
};

export interface RpcServerOptions {
  /** Check handler outputs against the contract (default: on unless NODE_ENV=production). */
  validateOutputs?: boolean;
  /** Told about unexpected handler failures (not CofreErrors), for the log. */
  onInternalError?: (method: string, err: unknown) => void;
}

export interface RpcServer {
  /** Answers one raw message; resolves with the response (undefined for non-requests). */
  handle(raw: unknown, ctx: CallContext): Promise<ResponseMessage | undefined>;
  /** Serves a connected transport until the returned function is called. */
  connect(transport: Transport, ctx: CallContext): () => void;
  /** Pushes an event to every connected transport. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  connections(): number;
}

function failure(id: RequestId | null, error: RpcError): ResponseMessage {
  return { t: 'res', id, result: { ok: false, error } };
}

function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function createRpcServer(handlers: Handlers, options: RpcServerOptions = {}): RpcServer {
  const validateOutputs = options.validateOutputs ?? process.env['NODE_ENV'] !== 'production';
  const peers = new Set<Transport>();

  async function handle(raw: unknown, ctx: CallContext): Promise<ResponseMessage | undefined> {
    let message: unknown = raw;
    if (typeof raw === 'string') {
      if (raw.length > MAX_MESSAGE_BYTES) return failure(null, { code: 'INVALID_ARGUMENT', message: 'Message too large.' });
      try {
        message = JSON.parse(raw);
      } catch {
        return failure(null, { code: 'INVALID_ARGUMENT', message: 'Message is not valid JSON.' });
      }
    }
    if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t !== 'req') {
      // Responses and events are not for the server; anything else is malformed.
      const t = (message as { t?: unknown }).t;
      if (t === 'res' || t === 'evt') return undefined;
    }
    const req = RequestMessageSchema.safeParse(message);
    if (!req.success) {
      const id = RequestIdSchema.safeParse((message as { id?: unknown } | null)?.id);
      return failure(id.success ? id.data : null, { code: 'INVALID_ARGUMENT', message: `Malformed request: ${describeIssues(req.error.issues)}.` });
    }
    const { id, method } = req.data;
    if (!isMethodName(method)) {
      return failure(id, { code: 'INVALID_ARGUMENT', message: `Unknown method "${method}".` });
    }
    const spec = methods[method];
    const input = spec.input.safeParse(req.data.input ?? {});
    if (!input.success) {
      return failure(id, { code: 'INVALID_ARGUMENT', message: `Invalid input for ${method}: ${describeIssues(input.error.issues)}.` });
    }
    try {
      const handler = handlers[method] as (input: unknown, ctx: CallContext) => Promise<unknown>;
      const value = await handler(input.data, ctx);
      if (validateOutputs) {
        const out = spec.output.safeParse(value);
        if (!out.success) {
          options.onInternalError?.(method, out.error);
          return failure(id, { code: 'INTERNAL', message: `The engine answered ${method} with data that does not match the contract: ${describeIssues(out.error.issues)}.` });
        }
        return { t: 'res', id, result: { ok: true, value: out.data } };
      }
      return { t: 'res', id, result: { ok: true, value } };
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'INTERNAL') options.onInternalError?.(method, err);
      return failure(id, info);
    }
  }

  return {
    handle,
    connect(transport, ctx) {
      peers.add(transport);
      const stop = transport.onMessage((raw) => {
        void handle(raw, ctx).then((res) => {
          if (res && peers.has(transport)) transport.send(res);
        });
      });
      const stopClose = transport.onClose?.(() => peers.delete(transport));
      return () => {
        stop();
        stopClose?.();
        peers.delete(transport);
      };
    },
    emit(event, payload) {
      const msg = { t: 'evt' as const, event, payload };
      for (const peer of peers) peer.send(msg);
    },
    connections: () => peers.size,
  };
}
