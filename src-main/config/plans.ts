/** A plan by name, as `--plan` names it: the only plan when none is named and there is one. */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config, PlanConfig } from './schema.js';

export function planOf(config: Config, name: string | undefined): [string, PlanConfig] {
  const names = Object.keys(config.plans);
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  if (!chosen) {
    throw new CofreError('INVALID_ARGUMENT', names.length ? `several plans exist (${names.join(', ')}); choose one with --plan` : 'the config has no plans', {
      hint: names.length ? `e.g. cofre backup --plan ${names[0]}` : 'add a plan under plans: in the config',
      ...said(names.length ? 'config.choosePlan' : 'config.noPlans'),
    });
  }
  const plan = config.plans[chosen];
  if (!plan) throw new CofreError('CONFIG_REFERENCE', `"${chosen}" is not a plan; known: ${names.join(', ') || '(none)'}`, said('config.unknownPlan', { name: chosen }));
  return [chosen, plan];
}
