/**
 * The pull model keeps storage credentials off the clinic server. A plan whose source server
 * is `kind: local` runs Cofre on that server, so whatever the storage needs lives there too:
 * warned when the storage has credentials (S3), said as information for a folder storage.
 */
import type { Config } from '../config/schema.js';

export interface LocalServerNotice {
  level: 'warning' | 'info';
  /** the plan's local source servers */
  servers: string[];
  storage: string;
  message: string;
}

export function localServerNotice(config: Config, planName: string): LocalServerNotice | null {
  const plan = config.plans[planName];
  if (!plan) return null;
  const servers = [...new Set(plan.sources.map((s) => config.sources[s]?.server).filter((s): s is string => s !== undefined))]
    .filter((s) => config.servers[s]?.kind === 'local');
  if (servers.length === 0) return null;
  const storage = config.storage[plan.storage];
  const names = servers.join(', ');
  if (storage?.type === 's3') {
    return {
      level: 'warning', servers, storage: plan.storage,
      message: `server ${names} is this machine (kind: local), so the credentials of storage ${plan.storage} live on the server being backed up: whoever takes that server can delete its backups. Back up over SSH from another machine, or give these credentials no delete right (object lock).`,
    };
  }
  return {
    level: 'info', servers, storage: plan.storage,
    message: `server ${names} is this machine (kind: local) and storage ${plan.storage} is a folder on it: fine for a demo or a test, but a copy that lives beside the data it protects does not survive losing that machine.`,
  };
}
