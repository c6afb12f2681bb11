/**
 * Electron entry point (package.json "main": dist/src-main/electron/main.js).
 * Serves the real engine (createEngineServices) through the IPC adapter.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Notification, app, dialog } from 'electron';
import { startDesktop, startErrorWindow } from './shell.js';
import { configErrorPage, decideDesktopStart } from './startup.js';
import type { AlertChannel } from '../alerts/dispatcher.js';
import { createEngineServices } from '../rpc/engine-services.js';
import { AppContext } from '../app/context.js';
import { startEngineHost, type EngineHost } from '../daemon/daemon.js';
import { runningSchedulerPid } from '../daemon/home-lock.js';
import { describeError } from '../errors.js';
import type { EngineServices } from '../rpc/services.js';
import { tuneHeapForStreaming } from '../app/heap.js';
// Type-only and erased: pulls preload.cts into this program so `tsc -p tsconfig.json` typechecks it
// and emits preload.cjs (tsconfig's include matches *.ts only).
import type {} from './preload.cjs';

tuneHeapForStreaming();
const here = fileURLToPath(new URL('.', import.meta.url)); // dist/src-main/electron/
const root = join(here, '..', '..', '..');

/**
 * Alerts (late, recovered, drill) as desktop notifications too. A failed run already gets its own
 * notification from the shell (clicking it opens that run), so it is not repeated here.
 */
const desktopAlerts: AlertChannel = {
  name: 'desktop',
  send: async (msg) => {
    if (msg.json.kind === 'backup_failed' || !Notification.isSupported()) return;
    new Notification({ title: msg.subject, body: `${msg.json.summary}\n${msg.json.action}` }).show();
  },
};

/**
 * The real engine for $COFRE_CONFIG / $COFRE_HOME (`npm start` points them at the demo home).
 * The app runs the scheduler unless a daemon already holds the home's lock (then it is only
 * the console). Without a usable config, see startup.ts: a window that names the file and the
 * problem, and no engine at all.
 */
function engineServices(ctx: AppContext): EngineServices {
  let host: EngineHost | undefined;
  if (process.env['COFRE_DEMO'] !== '1' && runningSchedulerPid(ctx.home) === undefined) {
    try {
      host = startEngineHost(ctx, { hostChannels: ctx.config.alerts.desktop ? [desktopAlerts] : [] });
    } catch (err) {
      process.stderr.write(`cofre: scheduler not started: ${describeError(err)}\n`);
    }
  }
  // "salvar no computador": the shell's save dialog, in the user's Downloads folder by default
  const saveDialog = async (name: string): Promise<string | undefined> => {
    const r = await dialog.showSaveDialog({ defaultPath: join(app.getPath('downloads'), name) });
    return r.canceled || !r.filePath ? undefined : r.filePath;
  };
  const services = createEngineServices(ctx, { host, saveDialog });
  process.once('exit', () => {
    services.close();
    void host?.stop();
  });
  return services;
}

const ctx = new AppContext({ actor: `console:${process.env['USER'] ?? process.env['USERNAME'] ?? 'user'}` });
const start = decideDesktopStart(ctx);
if (start.kind === 'config-error') {
  process.stderr.write(`cofre: ${start.error.message}${start.error.hint ? `\n  → ${start.error.hint}` : ''}\n`);
  startErrorWindow({ html: configErrorPage(start), assetsDir: join(root, 'assets') });
} else {
  startDesktop({
    services: engineServices(ctx),
    rendererDir: join(root, 'dist', 'renderer'),
    preloadPath: join(here, 'preload.cjs'),
    assetsDir: join(root, 'assets'),
    reportsDir: join(ctx.home, 'reports'),
  });
}
