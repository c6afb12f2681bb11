/**
 * The whole preload: exposes `window.cofre = { send, onMessage }` on one IPC channel, nothing else.
 * A .cts file so it compiles to CommonJS (preload.cjs), which is what a sandboxed preload runs.
 */
// A CommonJS file under verbatimModuleSyntax takes `import = require`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { ElectronBridge, IPC_CHANNEL } from '../../shared/rpc/transport.js';

// Duplicated literal (not imported) so the compiled preload requires nothing but electron.
const CHANNEL = 'cofre:rpc' satisfies typeof IPC_CHANNEL;

const bridge = {
  send(message: unknown): void {
    electron.ipcRenderer.send(CHANNEL, message);
  },
  onMessage(handler: (message: unknown) => void): () => void {
    const listener = (_event: electron.IpcRendererEvent, message: unknown): void => handler(message);
    electron.ipcRenderer.on(CHANNEL, listener);
    return () => {
      electron.ipcRenderer.off(CHANNEL, listener);
    };
  },
} satisfies ElectronBridge;

electron.contextBridge.exposeInMainWorld('cofre', bridge);
