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

/**
 * Two connected ends in one process: what one sends, the other receives, on a later microtask
 * (like a real transport). Messages are cloned so neither side can share objects.
 */
export function createMemoryTransportPair(): { client: Transport; server: Transport; close(): void } {
  const handlers: { client: Set<(m: unknown) => void>; server: Set<(m: unknown) => void> } = { client: new Set(), server: new Set() };
  const closeHandlers = new Set<() => void>();
  let closed = false;
  const end = (self: 'client' | 'server'): Transport => {
    const other = self === 'client' ? 'server' : 'client';
    return {
      send(message) {
        if (closed) return;
        const copy = structuredClone(message);
        queueMicrotask(() => {
          for (const h of handlers[other]) h(copy);
        });
      },
      onMessage(handler) {
        handlers[self].add(handler);
        return () => handlers[self].delete(handler);
      },
      onClose(handler) {
        closeHandlers.add(handler);
        return () => closeHandlers.delete(handler);
      },
    };
  };
  return {
    client: end('client'),
    server: end('server'),
    close() {
      closed = true;
      for (const h of closeHandlers) h();
    },
  };
}
