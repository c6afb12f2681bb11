/**
 * The clinic's time zone for dates the CLI prints: the plan's own zone when the line is about
 * one plan, else the first plan's, else `console.timezone` (a config without plans).
 */
import type { Config } from '../config/schema.js';

export function clinicTimeZone(config: Config, plan?: string | null): string {
  const own = plan ? config.plans[plan]?.timezone : undefined;
  return own ?? Object.values(config.plans)[0]?.timezone ?? config.console.timezone;
}
