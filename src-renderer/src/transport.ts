/**
 * The one place that picks how the console talks to the engine: the Electron preload bridge
 * (`window.cofre`) when present, otherwise a WebSocket to `/rpc` on the page's own host (the
 * session cookie set by `cofre ui` authenticates it).
 */
import { handlerSet, type ElectronBridge, type Transport } from '../../shared/rpc/transport.js';

declare global {
  interface Window {
    cofre?: ElectronBridge;
  }
}

function webSocketTransport(url: string): Transport {
  const socket = new WebSocket(url);
  const queue: string[] = [];
  const messages = handlerSet<[unknown]>();
  const closed = handlerSet();
  socket.addEventListener('open', () => {
    for (const m of queue.splice(0)) socket.send(m);
  });
  socket.addEventListener('message', (e: MessageEvent) => {
    if (typeof e.data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(e.data);
    } catch {
      return;
    }
    messages.emit(msg);
  });
  socket.addEventListener('close', () => closed.emit());
  return {
    send(message) {
      const text = JSON.stringify(message);
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
      else if (socket.readyState === WebSocket.CONNECTING) queue.push(text);
    },
    onMessage: (handler) => messages.add(handler),
    onClose: (handler) => closed.add(handler),
  };
}

export function pickTransport(): Transport {
  if (window.cofre) return window.cofre;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return webSocketTransport(`${scheme}//${location.host}/rpc`);
}
