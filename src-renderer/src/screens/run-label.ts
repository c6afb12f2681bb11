import type { Translate } from '../../../shared/i18n/index.js';
import type { Run } from '../../../shared/rpc/contracts/runs.js';

/** What a run is, in words: the plan of a backup, "Teste de restauração → homologacao" for a drill. */
export function runLabel(t: Translate): (run: Pick<Run, 'kind' | 'plan' | 'target'>) => string {
  return (run) => (run.kind === 'drill' ? t('execucoes.drillTo', { target: run.target ?? '' }) : run.plan);
}
