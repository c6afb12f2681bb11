/**
 * The main-process end of the console's IPC: one channel, messages only from our own window's
 * main frame (sender frame and URL checked), served by the same RPC server as the WebSocket.
 */
import { ipcMain, type WebContents, type IpcMainEvent } from 'electron';
import { IPC_CHANNEL, handlerSet, type Transport } from '../../shared/rpc/transport.js';
import type { RpcServer } from '../rpc/server.js';
import type { CallContext } from '../rpc/services.js';

/** Our renderer is loaded from this folder (file://…/dist/renderer/). */
export function isTrustedSender(event: IpcMainEvent, contents: WebContents, rendererUrlPrefix: string): boolean {
  const frame = event.senderFrame;
  if (event.sender !== contents || !frame || frame !== contents.mainFrame) return false;
  return frame.url.startsWith(rendererUrlPrefix);
}

export function connectIpc(rpc: RpcServer, contents: WebContents, rendererUrlPrefix: string, ctx: CallContext): () => void {
  const messages = handlerSet<[unknown]>();
  const closed = handlerSet();
  const transport: Transport = {
    send(message) {
      if (!contents.isDestroyed()) contents.send(IPC_CHANNEL, message);
    },
    onMessage: (handler) => messages.add(handler),
    onClose: (handler) => closed.add(handler),
  };
  const listener = (event: IpcMainEvent, message: unknown): void => {
    if (!isTrustedSender(event, contents, rendererUrlPrefix)) return;
    messages.emit(message);
  };
  ipcMain.on(IPC_CHANNEL, listener);
  const stop = rpc.connect(transport, ctx);
  const dispose = (): void => {
    ipcMain.off(IPC_CHANNEL, listener);
    stop();
    closed.emit();
  };
  contents.once('destroyed', dispose);
  return dispose;
}
