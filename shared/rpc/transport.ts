/**
 * A transport moves plain messages both ways. Electron IPC (structured clone), the WebSocket
 * (JSON text) and the in-memory pair all fit this shape.
 */
export interface Transport {
  send(message: unknown): void;
  /** Returns a function that stops listening. */
  onMessage(handler: (message: unknown) => void): () => void;
  /** Optional: told when the connection is gone for good (pending calls then fail). */
  onClose?(handler: () => void): () => void;
}

/** What the Electron preload exposes on `window.cofre` (and nothing else). */
export interface ElectronBridge {
  send(message: unknown): void;
  onMessage(handler: (message: unknown) => void): () => void;
}

/** The IPC channel the preload and the main process use, the only one. */
export const IPC_CHANNEL = 'cofre:rpc';

/** Handlers registered on a transport: `add` returns the function that removes the handler. */
export interface HandlerSet<A extends unknown[]> {
  add(handler: (...args: A) => void): () => void;
  emit(...args: A): void;
}

export function handlerSet<A extends unknown[] = []>(): HandlerSet<A> {
  const handlers = new Set<(...args: A) => void>();
  return {
    add(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    emit(...args) {
      for (const h of [...handlers]) h(...args);
    },
  };
}

/**
 * Two connected ends in one process: what one sends, the other receives, on a later microtask
 * (like a real transport). Messages are cloned so neither side can share objects.
 */
export function createMemoryTransportPair(): { client: Transport; server: Transport; close(): void } {
  const messages = { client: handlerSet<[unknown]>(), server: handlerSet<[unknown]>() };
  const closed = handlerSet();
  let isClosed = false;
  const end = (self: 'client' | 'server'): Transport => {
    const other = self === 'client' ? 'server' : 'client';
    return {
      send(message) {
        if (isClosed) return;
        const copy = structuredClone(message);
        queueMicrotask(() => messages[other].emit(copy));
      },
      onMessage: (handler) => messages[self].add(handler),
      onClose: (handler) => closed.add(handler),
    };
  };
  return {
    client: end('client'),
    server: end('server'),
    close() {
      isClosed = true;
      closed.emit();
    },
  };
}
