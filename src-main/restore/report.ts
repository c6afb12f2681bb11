/**
 * The restore report: a printable HTML page in Brazilian Portuguese, written to
 * `$COFRE_HOME/reports/<restoreId>.html` (print to PDF from any browser), with the set, the
 * target, phase timings, the validation table and RPO/RTO against 24 h / 4 h. The same
 * numbers go into the catalog run's details, so report and catalog always agree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes, formatClock, formatDateTime, formatDuration, formatRate } from '../../shared/format.js';
import { RPO_BUDGET_MS, RTO_BUDGET_MS, type RestoreResult } from './types.js';

const PHASE_PT: Record<string, string> = {
  select: 'Seleção do conjunto', preflight: 'Verificação prévia', safety: 'Cópia de segurança (produção)',
  transfer: 'Transferência e restauração', validate: 'Validação', report: 'Relatório',
};

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function okCell(ok: boolean | null): string {
  return ok === null ? '<td>—</td>' : ok ? '<td class="ok">OK</td>' : '<td class="fail">FALHA</td>';
}

export function reportHtml(r: RestoreResult, timeZone: string): string {
  const when = (iso: string | null): string => (iso ? esc(formatDateTime(iso, timeZone)) : '—');
  const title = r.kind === 'drill' ? 'Teste trimestral de restauração (simulado)' : 'Relatório de restauração';
  const rows = (cells: string[][]): string => cells.map((c) => `<tr>${c.join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(title)} ${esc(r.restoreId)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#111}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #999;padding:.3em .5em;text-align:left;font-size:.9em}
.ok{color:#064;font-weight:600}.fail{color:#a00;font-weight:700}.banner{padding:.6em 1em;border:2px solid;display:inline-block;font-size:1.2em}
@media print{body{margin:0}}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="banner ${r.status === 'succeeded' ? 'ok' : 'fail'}" id="resultado" data-status="${r.status}">Resultado: ${r.status === 'succeeded' ? 'SUCESSO' : 'FALHA'}</p>
<table id="resumo">
<tr><th>Identificador</th><td>${esc(r.restoreId)} (execução ${r.runId} no catálogo)</td></tr>
<tr><th>Conjunto (set)</th><td>${esc(r.setId ?? '—')} · plano ${esc(r.plan ?? '—')} · armazenamento ${esc(r.storage ?? '—')} · criado em ${when(r.setCreatedAt)}</td></tr>
<tr><th>Destino</th><td>${esc(r.target)} (${r.targetKind === 'production' ? 'produção' : 'homologação'})</td></tr>
<tr><th>Início do incidente</th><td>${when(r.incidentStart)}</td></tr>
<tr><th>Início / fim</th><td>${when(r.startedAt)} → ${when(r.finishedAt)}</td></tr>
<tr><th>Volume transferido</th><td>${esc(formatBytes(r.bytes))}${r.transferRate ? ` a ${esc(formatRate(r.transferRate))}` : ''}</td></tr>
<tr><th>RPO (idade dos dados)</th><td data-rpo-ms="${r.rpoMs ?? ''}">${r.rpoMs === null ? '—' : esc(formatDuration(r.rpoMs))} — objetivo ${esc(formatDuration(RPO_BUDGET_MS))}: ${r.rpoOk === null ? '—' : r.rpoOk ? '<span class="ok">dentro</span>' : '<span class="fail">excedido</span>'}</td></tr>
<tr><th>RTO (tempo total)</th><td data-rto-ms="${r.rtoMs}">${esc(formatClock(r.rtoMs))} (${esc(formatDuration(r.rtoMs))}) — objetivo ${esc(formatDuration(RTO_BUDGET_MS))}: ${r.rtoOk ? '<span class="ok">dentro</span>' : '<span class="fail">excedido</span>'}</td></tr>
${r.projection ? `<tr><th>Projeção antes da transferência</th><td>${esc(formatBytes(r.projection.totalBytes))} a ${esc(formatRate(r.projection.bytesPerSecond))} ≈ ${esc(formatDuration(r.projection.projectedMs))}${r.projection.verifyMs ? ` (inclui ${esc(formatDuration(r.projection.verifyMs))} para ler e conferir o SHA-256 de cada objeto antes de tocar a produção)` : ''}${r.projection.overBudget ? ' <span class="fail">(acima do orçamento de 4 h)</span>' : ''}</td></tr>` : ''}
${r.safetyDumps.length ? `<tr><th>Cópias de segurança</th><td>${r.safetyDumps.map(esc).join('<br>')}</td></tr>` : ''}
</table>
${r.error ? `<h2>Erro</h2><p class="fail">${esc(r.error.message)}</p>${r.error.hint ? `<p>O que fazer: ${esc(r.error.hint)}</p>` : ''}${r.targetState ? `<p>Estado do destino: ${esc(r.targetState)}</p>` : ''}` : ''}
<h2>Fases</h2>
<table id="fases"><tr><th>Fase</th><th>Início</th><th>Duração</th><th>Resultado</th></tr>
${rows(r.phases.map((p) => [`<td>${esc(PHASE_PT[p.phase] ?? p.phase)}</td>`, `<td>${when(p.startedAt)}</td>`, `<td data-ms="${p.durationMs}">${esc(formatDuration(p.durationMs))}</td>`, okCell(p.ok)]))}
</table>
<h2>Verificação prévia</h2>
<table id="verificacoes"><tr><th>Verificação</th><th>Resultado</th><th>Detalhe</th></tr>
${rows(r.preflight.map((c) => [`<td>${esc(c.name)}</td>`, okCell(c.ok), `<td>${esc(c.message)}</td>`]))}
</table>
<h2>Objetos restaurados</h2>
<table id="objetos"><tr><th>Origem</th><th>Tipo</th><th>Destino</th><th>Bytes</th><th>Duração</th></tr>
${rows(r.items.map((i) => [`<td>${esc(`${i.source}.${i.part}`)}</td>`, `<td>${i.type}</td>`, `<td>${esc(i.destination)}${i.skipped ? ` (não aplicado: ${esc(i.skipped)})` : ''}</td>`, `<td>${esc(formatBytes(i.bytes))}</td>`, `<td>${esc(formatDuration(i.durationMs))}</td>`]))}
</table>
<h2>Validação</h2>
<table id="validacao"><tr><th>Item</th><th>Esperado</th><th>Encontrado</th><th>Resultado</th></tr>
${rows(r.validation.map((v) => [`<td>${esc(v.name)}</td>`, `<td>${esc(v.expected)}</td>`, `<td>${esc(v.actual)}</td>`, okCell(v.ok)]))}
</table>
<p>${r.validation.filter((v) => v.ok).length} de ${r.validation.length} itens conferem.</p>
${r.warnings.length ? `<h2>Avisos</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
<p style="margin-top:2em">Responsável: ____________________________ Data: ____/____/______</p>
</body></html>
`;
}

export function writeReport(home: string, r: RestoreResult, timeZone: string): string {
  const dir = join(home, 'reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.restoreId}.html`);
  writeFileSync(file, reportHtml(r, timeZone), { mode: 0o600 });
  return file;
}

/** What the catalog keeps in the run's details (the drill status and the console read it). */
export function catalogDetails(r: RestoreResult): Record<string, unknown> {
  return {
    restoreId: r.restoreId, setId: r.setId, storage: r.storage, targetKind: r.targetKind, incidentStart: r.incidentStart,
    phases: r.phases, validation: r.validation, preflight: r.preflight, projection: r.projection, items: r.items,
    rpoMs: r.rpoMs, rtoMs: r.rtoMs, rpoOk: r.rpoOk, rtoOk: r.rtoOk, transferRate: r.transferRate, verifyRate: r.verifyRate, safetyDumps: r.safetyDumps, movedAside: r.movedAside,
    warnings: r.warnings, reportPath: r.reportPath, targetState: r.targetState,
  };
}
