/**
 * When the desktop app shows a notification: a backup that failed, a plan that became late,
 * a drill that failed. Plain logic over the engine's events and status, behind a Notifier
 * interface; shell.ts passes Electron's Notification, the tests pass a recorder. Each thing is
 * announced once (a failed run by its id, a late plan until it is ok again, a drill by its id),
 * whether it was seen as an event or only in a later status (a run of the daemon or the CLI).
 */
import type { EngineEvent } from '../rpc/services.js';
import type { Status } from '../../shared/rpc/contracts/status.js';
import type { Translate } from '../../shared/i18n/index.js';
import { drillFailedNotification, failureNotification, lateNotification } from './texts.js';

export interface DesktopNotice {
  title: string;
  body: string;
  /** the console route that clicking it opens, e.g. "execucoes?run=12" */
  hash: string;
  tone: 'failing' | 'late';
}

export interface Notifier {
  show(notice: DesktopNotice): void;
}

export interface DesktopNotificationsOptions {
  notifier: Notifier;
  /** texts in the console's current language */
  t: () => Translate;
  /** `alerts.desktop` from the config (default on) */
  enabled?: () => boolean;
}

export interface DesktopNotifications {
  onEvent(event: EngineEvent): void;
  onStatus(status: Status): void;
}

export function createDesktopNotifications(opts: DesktopNotificationsOptions): DesktopNotifications {
  const seenRuns = new Set<string>();
  const seenDrills = new Set<string>();
  const latePlans = new Set<string>();
  const show = (notice: DesktopNotice): void => {
    if (opts.enabled?.() === false) return;
    opts.notifier.show(notice);
  };
  const runFailed = (f: Parameters<typeof failureNotification>[0]): void => {
    if (seenRuns.has(f.runId)) return;
    seenRuns.add(f.runId);
    show({ ...failureNotification(f, opts.t()), tone: 'failing' });
  };
  const drillFailed = (id: string, d: Parameters<typeof drillFailedNotification>[0]): void => {
    // drills found failed at start are announced too: the tray is where a technician sees them
    if (seenDrills.has(id)) return;
    seenDrills.add(id);
    show({ ...drillFailedNotification(d, opts.t()), tone: 'failing' });
  };

  return {
    onEvent(e) {
      if (e.event === 'run.finished') {
        if (e.payload.status === 'failed') runFailed(e.payload);
        else seenRuns.add(e.payload.runId);
      }
      // a drill's end is announced from the status read right after it (it names the target)
    },
    onStatus(status) {
      for (const p of status.plans) {
        const run = p.lastRun;
        if (run && run.status === 'failed') runFailed({ runId: run.id, plan: p.plan, status: 'failed', ...(run.error ? { error: run.error } : {}) });
        if (run && run.status !== 'running') seenRuns.add(run.id);
        if (p.rpoState === 'late') {
          if (!latePlans.has(p.plan)) show({ ...lateNotification(p, opts.t()), tone: 'late' });
          latePlans.add(p.plan);
        } else if (p.rpoState === 'ok') {
          latePlans.delete(p.plan);
        }
      }
      const d = status.lastDrill;
      if (d && !d.ok) drillFailed(d.restoreId, d);
      else if (d) seenDrills.add(d.restoreId);
    },
  };
}
