/**
 * What the real EngineServices share: the AppContext (config + catalog), the event fan-out to
 * the console, the optional engine host (scheduler) and the operations in flight.
 */
import { statSync } from 'node:fs';
import type { AppContext } from '../../app/context.js';
import type { EngineHost } from '../../daemon/daemon.js';
import { PlanRuns } from '../../runs/plan-runs.js';
import type { AlertChannel } from '../../alerts/dispatcher.js';
import type { Config } from '../../config/schema.js';
import type { CallContext, EngineEvent } from '../services.js';
import type { DemoInfo } from '../../../shared/rpc/contracts/demo.js';

export interface EngineServicesOptions {
  /** the scheduler host when this process runs it (manual runs then skip plans it is running) */
  host?: EngineHost | undefined;
  /** desktop notifications etc., used by "send a test alert" */
  hostChannels?: AlertChannel[];
  /** how often runs started elsewhere (scheduler, CLI, daemon) are looked for, in ms (default 2000; 0 = never) */
  pollMs?: number;
  log?: (line: string) => void;
  /** set by `cofre demo`: what the console's demo badge and notices show */
  demo?: () => DemoInfo;
  /**
   * The desktop app's save dialog ("salvar no computador"): the chosen file, or undefined when
   * closed. Without it (a browser console) a save answers with a one-time download link.
   */
  saveDialog?: (suggestedName: string) => Promise<string | undefined>;
}

export interface Runtime {
  ctx: AppContext;
  opts: EngineServicesOptions;
  emit(event: EngineEvent): void;
  /** The config, re-read when the file changed on disk (a text editor, the CLI). */
  config(): Config;
  /** After an edit by the console: re-read now. */
  reload(): Config;
  audit(call: CallContext, action: string, target: string, details?: unknown): void;
  /** where this process runs backups: the host's when it schedules, else the console's own */
  runs: PlanRuns;
  log(line: string): void;
}

export function createRuntime(ctx: AppContext, opts: EngineServicesOptions, emit: (e: EngineEvent) => void): Runtime {
  let mtime = mtimeOf(ctx.configPath);
  const rt: Runtime = {
    ctx,
    opts,
    emit,
    config() {
      const now = mtimeOf(ctx.configPath);
      if (now !== mtime) {
        mtime = now;
        return ctx.reloadConfig();
      }
      return ctx.config;
    },
    reload() {
      mtime = mtimeOf(ctx.configPath);
      return ctx.reloadConfig();
    },
    audit(call, action, target, details) {
      ctx.catalog.audit(call.actor, action, target, details);
    },
    runs: opts.host?.runs ?? new PlanRuns(ctx),
    log: opts.log ?? (() => undefined),
  };
  return rt;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}
