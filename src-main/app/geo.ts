/**
 * Geo-separation (RNF-BACK-001): backups must live in another region or provider than the
 * server they protect. Compares the `location` of a plan's servers with its storage's.
 */
import type { Config } from '../config/schema.js';

export interface GeoCheck {
  separated: boolean | null;
  message: string;
}

export function checkGeoSeparation(config: Config, planName: string): GeoCheck {
  const plan = config.plans[planName];
  if (!plan) return { separated: null, message: `no plan ${planName}` };
  const storage = config.storage[plan.storage];
  const where = storage?.location;
  if (!where) {
    return { separated: null, message: `storage ${plan.storage} has no location; add location: { provider, region } to check geo-separation` };
  }
  const servers = new Set(plan.sources.map((s) => config.sources[s]?.server).filter((s): s is string => s !== undefined));
  for (const name of servers) {
    const loc = config.servers[name]?.location;
    if (!loc) return { separated: null, message: `server ${name} has no location; add location: { provider, region } to check geo-separation` };
    if (loc.provider === where.provider && loc.region === where.region) {
      return {
        separated: false,
        message: `storage ${plan.storage} is in the same place as server ${name} (${where.provider}/${where.region}); a disaster there would take both — use another region or provider`,
      };
    }
  }
  return { separated: true, message: `storage ${plan.storage} (${where.provider}/${where.region}) is separate from the servers` };
}
