/**
 * The desktop shell: one locked-down window, a tray that shows the worst plan state,
 * desktop notifications on failed runs, single instance, start-at-login. No engine logic here:
 * it serves the given EngineServices over IPC.
 */
import { app, BrowserWindow, Menu, Notification, Tray, nativeImage, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createConsoleRpc } from '../rpc/index.js';
import type { EngineServices } from '../rpc/services.js';
import type { RpoState } from '../../shared/rpc/contracts/status.js';
import { connectIpc } from './ipc.js';
import { reportFileOfDesktopUrl } from '../rpc/report-route.js';
import { shellTranslator, trayMenuLabels, trayTooltip } from './texts.js';
import { createDesktopNotifications, type Notifier } from './notifications.js';
import type { Translate } from '../../shared/i18n/index.js';

export interface DesktopOptions {
  services: EngineServices;
  /** dist/renderer */
  rendererDir: string;
  /** compiled preload (dist/src-main/electron/preload.cjs) */
  preloadPath: string;
  /** assets/ (tray-*.png, icon.png) */
  assetsDir: string;
  /** how often the tray re-reads status (default 60 s) */
  statusEveryMs?: number;
  /** $COFRE_HOME/reports: a report link of the console opens its file there through the shell */
  reportsDir?: string;
}

const WORST: RpoState[] = ['failing', 'late', 'unknown', 'ok'];

/**
 * The only window when the config cannot be loaded: the page from startup.ts (no preload, no
 * script, no engine); closing it quits. Editing the file and opening Cofre again is the way on.
 */
export function startErrorWindow(options: { html: string; assetsDir: string }): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    const win = new BrowserWindow({
      width: 900,
      height: 640,
      title: 'Cofre',
      icon: join(options.assetsDir, 'icon.png'),
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, javascript: false, spellcheck: false },
    });
    win.webContents.on('will-navigate', (event) => event.preventDefault());
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    void win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(options.html)}`);
  });
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  app.on('window-all-closed', () => app.quit());
}

export function startDesktop(options: DesktopOptions): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const rendererUrl = pathToFileURL(join(options.rendererDir, 'index.html')).href;
  const rendererPrefix = pathToFileURL(options.rendererDir).href + '/';
  const rpc = createConsoleRpc(options.services);
  let window: BrowserWindow | undefined;
  let tray: Tray | undefined;
  /** texts in the configured console language, re-read with each status refresh */
  let t: Translate = shellTranslator(undefined);
  let language: string | undefined;
  let desktopAlerts = true;
  const readLanguage = async (): Promise<void> => {
    const settings = await options.services.settings.get().catch(() => undefined);
    if (settings) desktopAlerts = settings.alerts.desktop;
    if (settings && settings.language !== language) {
      language = settings.language;
      t = shellTranslator(settings.language);
      tray?.setContextMenu(buildMenu());
    }
  };

  const show = (hash = 'painel'): void => {
    if (!window || window.isDestroyed()) window = createWindow();
    void window.loadURL(`${rendererUrl}#/${hash}`);
    window.show();
    window.focus();
  };

  function createWindow(): BrowserWindow {
    const win = new BrowserWindow({
      width: 1280,
      height: 860,
      title: 'Cofre',
      icon: join(options.assetsDir, 'icon.png'),
      show: false,
      webPreferences: {
        preload: options.preloadPath,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    const contents = win.webContents;
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(rendererPrefix)) event.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      // a restore/drill report link: the file in the reports folder, in the system's browser
      else if (options.reportsDir) {
        void reportFileOfDesktopUrl(options.reportsDir, url).then((file) => (file ? shell.openPath(file) : undefined));
      }
      return { action: 'deny' };
    });
    connectIpc(rpc, contents, rendererPrefix, { actor: `desktop:${process.env['USER'] ?? process.env['USERNAME'] ?? 'user'}` });
    win.once('ready-to-show', () => win.show());
    win.on('close', (event) => {
      // Keep running in the tray (the scheduler lives in this process).
      if (tray) {
        event.preventDefault();
        win.hide();
      }
    });
    return win;
  }

  const trayIcon = (state: RpoState) => nativeImage.createFromPath(join(options.assetsDir, `tray-${state}.png`));

  /** Electron's notifications behind the plain decision module (tested without Electron). */
  const notifier: Notifier = {
    show(notice) {
      if (!Notification.isSupported()) return;
      const n = new Notification({ title: notice.title, body: notice.body, icon: join(options.assetsDir, `tray-${notice.tone}@2x.png`) });
      n.on('click', () => show(notice.hash));
      n.show();
    },
  };
  const notifications = createDesktopNotifications({ notifier, t: () => t, enabled: () => desktopAlerts });

  async function refreshTray(): Promise<void> {
    if (!tray) return;
    await readLanguage();
    const status = await options.services.status.get().catch(() => undefined);
    if (status) notifications.onStatus(status);
    const states = status?.plans.map((p) => p.rpoState) ?? ['unknown'];
    const worst = WORST.find((s) => states.includes(s)) ?? 'unknown';
    tray?.setImage(trayIcon(worst));
    tray?.setToolTip(trayTooltip(status, t));
  }

  function buildMenu(): Menu {
    const labels = trayMenuLabels(t);
    return Menu.buildFromTemplate([
      { label: labels.open, click: () => show() },
      {
        label: labels.startAtLogin,
        type: 'checkbox',
        checked: app.getLoginItemSettings().openAtLogin,
        click: (item) => app.setLoginItemSettings({ openAtLogin: item.checked, openAsHidden: true }),
      },
      { type: 'separator' },
      {
        label: labels.quit,
        click: () => {
          tray?.destroy();
          tray = undefined;
          app.quit();
        },
      },
    ]);
  }

  app.on('second-instance', () => show());
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
    tray = new Tray(trayIcon('unknown'));
    tray.setContextMenu(buildMenu());
    tray.on('click', () => show());
    void refreshTray();
    const timer = setInterval(() => void refreshTray(), options.statusEveryMs ?? 60_000);
    app.on('before-quit', () => {
      clearInterval(timer);
      rpc.dispose();
      tray?.destroy();
      tray = undefined;
    });
    options.services.events.subscribe((e) => {
      if (e.event !== 'run.finished' && e.event !== 'restore.finished') return;
      void readLanguage().then(() => {
        notifications.onEvent(e);
        return refreshTray();
      });
    });
    show();
  });

  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
}
