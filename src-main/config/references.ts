/** Cross-references inside a config: names used by plans, sources and targets must exist. */
import type { Config, ObjectLockConfig } from './schema.js';
import { CofreError } from '../errors.js';
import { validateSchedule } from '../scheduler/schedule.js';
import { isTimeZone } from '../scheduler/timezone.js';

export interface ReferenceProblem {
  path: string[];
  message: string;
}

function unknown(what: string, value: string, known: string[]): string {
  return `"${value}" is not a ${what}; known: ${known.length ? known.join(', ') : '(none defined)'}`;
}

export function checkReferences(config: Config): ReferenceProblem | undefined {
  const servers = Object.keys(config.servers);
  const sources = Object.keys(config.sources);
  const storages = Object.keys(config.storage);
  for (const [sourceName, source] of Object.entries(config.sources)) {
    if (!config.servers[source.server]) {
      return { path: ['sources', sourceName, 'server'], message: unknown('server', source.server, servers) };
    }
  }
  for (const [planName, plan] of Object.entries(config.plans)) {
    if (!config.storage[plan.storage]) {
      return { path: ['plans', planName, 'storage'], message: unknown('storage', plan.storage, storages) };
    }
    for (const [i, s] of plan.sources.entries()) {
      if (!config.sources[s]) return { path: ['plans', planName, 'sources', String(i)], message: unknown('source', s, sources) };
    }
    const lock = objectLockOf(config, plan.storage);
    if (lock && lock.days < plan.retention.keepDays) {
      return {
        path: ['storage', plan.storage, 'objectLock', 'days'],
        message: `${lock.days} day(s) of Object Lock is shorter than plan ${planName}'s retention (keepDays: ${plan.retention.keepDays}): its sets would lose their protection while still kept; set objectLock.days to at least ${plan.retention.keepDays}`,
      };
    }
    if (!isTimeZone(plan.timezone)) {
      return { path: ['plans', planName, 'timezone'], message: `"${plan.timezone}" is not a known time zone (e.g. America/Sao_Paulo)` };
    }
    try {
      validateSchedule(plan.schedule, plan.timezone, `plans.${planName}.schedule`);
    } catch (err) {
      const message = err instanceof CofreError ? err.message.replace(/^plans\.[^:]+\.schedule: /, '') : String(err);
      return { path: ['plans', planName, 'schedule'], message };
    }
  }
  if (Object.keys(config.plans).length > 0 && !config.encryption) {
    return { path: ['encryption'], message: 'is required when plans are defined (recipients: ["age1…"]; `cofre init` creates a key)' };
  }
  for (const [targetName, target] of Object.entries(config.restoreTargets)) {
    if (!config.servers[target.server]) {
      return { path: ['restoreTargets', targetName, 'server'], message: unknown('server', target.server, servers) };
    }
  }
  if (config.drill.target && !config.restoreTargets[config.drill.target]) {
    return { path: ['drill', 'target'], message: unknown('restore target', config.drill.target, Object.keys(config.restoreTargets)) };
  }
  if (!isTimeZone(config.console.timezone)) {
    return { path: ['console', 'timezone'], message: `"${config.console.timezone}" is not a known time zone (e.g. America/Sao_Paulo)` };
  }
  return undefined;
}

/** The Object Lock a storage asks for (S3 only), or undefined. */
export function objectLockOf(config: Config, storageName: string): ObjectLockConfig | undefined {
  const s = config.storage[storageName];
  return s?.type === 's3' ? s.objectLock : undefined;
}
