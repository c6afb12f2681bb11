/**
 * Texts of the restore wizard about a staging target's names (`names: original` or side by side).
 * Merged into messages.ts.
 */
export const stagingTextsPtBR = {
  'staging.names.title': 'Nomes no destino',
  'staging.names.original': 'Nomes de produção: os bancos e as pastas voltam com os nomes originais, para o sistema da clínica rodar em homologação com estes dados. O que já existir com esses nomes no destino é movido para <nome>_antes_<aaaammddhhmmss> e mantido — nada é apagado. A verificação do próximo passo mostra cada nome.',
  'staging.names.side': 'Nomes ao lado: cada banco volta como <banco>_restore_{hex} e os arquivos em <filesRoot>/{setId}/. Nada do que existe no destino é tocado.',
  'staging.names.refuse': 'Se o servidor ou a pasta deste destino for o de produção, a restauração é recusada antes de qualquer mudança.',
  'staging.drill.confirmOriginal': 'A cópia completa mais recente será restaurada no destino de homologação abaixo com os nomes de produção, e validada. O que já existir lá com esses nomes é movido para <nome>_antes_<aaaammddhhmmss> e mantido. Nada é restaurado em produção.',
};

export const stagingTextsEn: Record<keyof typeof stagingTextsPtBR, string> = {
  'staging.names.title': 'Names on the target',
  'staging.names.original': "Production names: databases and folders come back under their original names, so the clinic's system runs in staging on this data. Whatever already has those names on the target is moved aside to <name>_antes_<yyyymmddhhmmss> and kept — nothing is deleted. The next step's check shows each name.",
  'staging.names.side': 'Side by side: each database comes back as <db>_restore_{hex} and the files under <filesRoot>/{setId}/. Nothing that exists on the target is touched.',
  'staging.names.refuse': "If this target's server or folder is production's, the restore is refused before anything changes.",
  'staging.drill.confirmOriginal': 'The newest complete backup is restored into the staging target below under the production names, and validated. Whatever already has those names there is moved aside to <name>_antes_<yyyymmddhhmmss> and kept. Nothing is restored into production.',
};
