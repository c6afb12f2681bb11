/**
 * `cofre runbook`: the documented restore procedure for THIS config, in Markdown (prints
 * well, reads well in any editor): the Cofre path and the manual path for the day Cofre
 * itself is unavailable, with the real servers, storage locations, plans and set layout.
 * Regenerate it after every config change (the header says which config it came from).
 */
import { formatDateTime } from '../../shared/format.js';
import type { Config, SourceConfig, StorageConfig } from '../config/schema.js';
import { RPO_BUDGET_MS, RTO_BUDGET_MS } from './types.js';

function storageWhere(s: StorageConfig): { list: string; get: (setId: string, obj: string) => string; describe: string } {
  const prefix = s.prefix.replace(/^\/+|\/+$/g, '');
  if (s.type === 'folder') {
    const base = `${s.path.replace(/\/+$/, '')}${prefix ? `/${prefix}` : ''}/sets`;
    return { describe: `pasta ${base}`, list: `ls -1 ${base}/`, get: (setId, obj) => `cat ${base}/${setId}/${obj}` };
  }
  const base = `s3://${s.bucket}${prefix ? `/${prefix}` : ''}/sets`;
  const ep = s.endpoint ? ` --endpoint-url ${s.endpoint}` : '';
  return { describe: `${base} (região ${s.region}${s.endpoint ? `, endpoint ${s.endpoint}` : ''})`, list: `aws s3 ls${ep} ${base}/`, get: (setId, obj) => `aws s3 cp${ep} ${base}/${setId}/${obj} -` };
}

/**
 * Restoring a MySQL dump under another name (homologação) by hand: views, triggers, routines and
 * events still name the original database, so the copy would read and write it; the dump goes
 * through `cofre mysql-rename`, the same rewrite `cofre restore` applies (mysql-rewrite.ts).
 */
function mysqlOtherName(db: string, dump: string): string[] {
  const other = `${db}_homolog`;
  return [
    `# com OUTRO nome (homologação, ex.: ${other}), sobretudo no mesmo servidor da produção: passe o dump pelo \`cofre mysql-rename\`,`,
    '# que troca o nome do banco em views, gatilhos, rotinas e eventos e remove DEFINER= (o mesmo que o `cofre restore` faz);',
    '# sem ele a cópia lê e grava no banco original. Só o executável do Cofre é preciso (sem configuração, armazenamento ou identidade).',
    `mysql -h <host> -u root -e 'CREATE DATABASE \`${other}\` CHARACTER SET utf8mb4'`,
    `${dump} | cofre mysql-rename --from ${db} --to ${other} | mysql -h <host> -u root ${other}`,
    '# sem o executável do Cofre: restaure com o nome original, num servidor separado da produção (nunca renomeie à mão).',
  ];
}

function manualSteps(name: string, src: SourceConfig, get: (obj: string) => string, identity: string): string[] {
  const age = (obj: string): string => `${get(obj)} | age -d -i ${identity}`;
  if (src.type === 'postgres') {
    const dbs = src.databases ?? ['<banco>'];
    const lines = [`# ${name} (PostgreSQL ${src.host}:${src.port})`];
    if (!src.databases) {
      lines.push(
        `# papéis (roles) — somente em produção/servidor novo; antes, confira que o arquivo não tem comandos \\ do psql além de \\restrict/\\unrestrict:`,
        `${age(`${name}.globals.sql.age`)} | grep -n '\\\\' | grep -v -E '^[0-9]+:\\\\(un)?restrict [A-Za-z0-9]+$'   # deve sair vazio`,
        `${age(`${name}.globals.sql.age`)} | psql -X -h <host> -U postgres -d postgres   # erros "already exists" são esperados`,
      );
    }
    for (const db of dbs) {
      lines.push(`createdb -h <host> -U postgres ${db}`, `${age(`${name}.${db}.pgdump.age`)} | pg_restore --exit-on-error -h <host> -U postgres -d ${db}`);
    }
    return lines;
  }
  if (src.type === 'mysql') {
    const dbs = src.databases ?? ['<banco>'];
    // compressed (the default): mysqldump | zstd ran on the server; `.sql.age` is a set made without zstd
    const zst = src.compress !== false;
    const dump = (db: string): string => (zst ? `${age(`${name}.${db}.sql.zst.age`)} | zstd -d` : age(`${name}.${db}.sql.age`));
    return [`# ${name} (MariaDB/MySQL ${src.host}:${src.port})${zst ? ' — dump comprimido com zstd (.sql.zst.age); um conjunto sem zstd no servidor traz .sql.age: omita o "| zstd -d"' : ''}`, ...dbs.flatMap((db) => [
      `mysql -h <host> -u root -e 'CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4'`,
      `${dump(db)} | mysql -h <host> -u root ${db}`,
      ...mysqlOtherName(db, dump(db)),
    ])];
  }
  if (src.format === 'packs') {
    return [`# ${name} (arquivos: ${src.paths.join(', ')}) — formato 2 (pacotes): use o restore.sh do conjunto, seção abaixo`];
  }
  return [`# ${name} (arquivos: ${src.paths.join(', ')}) — caminhos guardados relativos a /`, `${age(`${name}.files.tar.age`)} | tar -x -p --same-owner -C /   # ou -C /srv/restore para conferir antes`];
}

/** The exact check of a manifest's signature, with OpenSSH only (run where manifest.json and its .sig were saved). */
export const VERIFY_COMMAND = 'ssh-keygen -Y verify -f allowed_signers -I cofre -n cofre-manifest -s manifest.json.sig < manifest.json';

/**
 * The same check in the window a stopped `cofre repack` can leave on one set: the new manifest is
 * written and its signature is still in `manifest.json.sig.next` (files2/repack-sets.ts).
 */
export const VERIFY_NEXT_COMMAND = 'ssh-keygen -Y verify -f allowed_signers -I cofre -n cofre-manifest -s manifest.json.sig.next < manifest.json';

/** What to do when manifest.json.sig does not verify and a manifest.json.sig.next lies beside it (pt-BR, as the runbook). */
const SIG_NEXT_NOTE = 'Se a conferência falhar e existir `manifest.json.sig.next` ao lado: um `cofre repack` parou no meio deste conjunto (o `manifest.json` novo já foi gravado, e a assinatura dele ainda está no `.sig.next`). Confira com ele; se imprimir `Good "cofre-manifest" signature`, o manifest é autêntico e os hashes dele valem (índices, pacotes, `restore.sh`). Se nenhum dos dois conferir, **não restaure** este conjunto. Só um conjunto fica nesse estado; o próximo `cofre repack` (onde estão a identidade e a chave de assinatura) termina-o.';

/** The allowed_signers file ssh-keygen needs: one `cofre <public key line>` per configured signer. */
export function allowedSignersText(config: Config): string {
  return (config.encryption?.signers ?? []).map((line) => `cofre ${line.trim()}\n`).join('');
}

function signersSection(config: Config): string[] {
  const signers = allowedSignersText(config);
  const out = ['### Assinatura dos conjuntos', ''];
  out.push('Cada `manifest.json` tem ao lado um `manifest.json.sig` (assinatura OpenSSH SSHSIG, namespace `cofre-manifest`). Um conjunto sem assinatura válida pode ter sido forjado por quem tem acesso de escrita ao armazenamento: **não restaure** um conjunto cuja assinatura não confere sem saber de onde ele veio.', '');
  if (!signers) {
    out.push('**Nenhum assinante configurado** (`encryption.signers`): nenhum conjunto pode ser autenticado. Rode `cofre init` na máquina de backup (cria a chave de assinatura) e copie a linha do assinante para `encryption.signers` em cada estação.', '');
    return out;
  }
  out.push('Salve este conteúdo como `allowed_signers` (os assinantes autorizados; **guarde-o junto com a chave em papel**, no cofre físico):', '', '```', signers.trimEnd(), '```', '');
  out.push('Conferir um manifest sem o Cofre (deve imprimir `Good "cofre-manifest" signature for cofre`):', '', '```sh', VERIFY_COMMAND, '```', '');
  out.push(SIG_NEXT_NOTE, '', '```sh', VERIFY_NEXT_COMMAND, '```', '');
  out.push('Para aposentar uma chave de assinatura: acrescente a nova linha em `encryption.signers`, mantenha a antiga enquanto houver conjuntos dela dentro da retenção, depois remova-a. Conjuntos anteriores à assinatura: `cofre adopt` (verifica a fundo e assina os que passam).', '');
  return out;
}

export function runbookMarkdown(config: Config, meta: { configPath: string; generatedAt: string }): string {
  const identity = config.encryption?.identityFile ?? 'identity.txt';
  const out: string[] = [];
  out.push(`# Cofre — procedimento de restauração (runbook)`, '');
  out.push(`Gerado em ${formatDateTime(meta.generatedAt, config.console.timezone)} (${config.console.timezone}) a partir de \`${meta.configPath}\`. Gere de novo após qualquer mudança na configuração (\`cofre runbook --out runbook.md\`).`, '');
  out.push(`Objetivos: **RPO ${RPO_BUDGET_MS / 3600_000} h** (dados com no máximo 24 h) e **RTO ${RTO_BUDGET_MS / 3600_000} h** (sistema de volta em menos de 4 h). Anote a hora de início do incidente.`, '');
  out.push('## 1. O que existe', '', '### Servidores', '', '| nome | endereço | usuário | chave do host |', '| --- | --- | --- | --- |');
  for (const [n, s] of Object.entries(config.servers)) {
    out.push(s.kind === 'local'
      ? `| ${n} | esta máquina (kind: local, sem SSH) | quem roda o Cofre | — |`
      : `| ${n} | ${s.host}:${s.port} | ${s.user} | ${s.hostKey ?? '(não fixada: rode `cofre trust ' + n + '`)'} |`);
  }
  out.push('', '### Planos e onde ficam os backups', '', '| plano | origens | armazenamento | horário |', '| --- | --- | --- | --- |');
  for (const [n, p] of Object.entries(config.plans)) {
    const st = config.storage[p.storage];
    out.push(`| ${n} | ${p.sources.join(', ')} | ${p.storage}: ${st ? storageWhere(st).describe : '?'} | \`${p.schedule}\` (${p.timezone}) |`);
  }
  out.push('', '### Destinos de restauração', '', '| nome | tipo | servidor | postgres | mysql | arquivos |', '| --- | --- | --- | --- | --- | --- |');
  for (const [n, t] of Object.entries(config.restoreTargets)) {
    out.push(`| ${n} | ${t.kind === 'production' ? 'produção' : 'homologação'} | ${t.server} | ${t.postgres ? `${t.postgres.host}:${t.postgres.port ?? 5432}` : '—'} | ${t.mysql ? `${t.mysql.host}:${t.mysql.port ?? 3306}` : '—'} | ${t.filesRoot ?? '—'} |`);
  }
  out.push('', 'Layout de cada conjunto (set): `sets/<setId>/<origem>.<parte>.<formato>.age`, `sets/<setId>/manifest.json.sig` e `sets/<setId>/manifest.json` (escrito por último: sem ele o conjunto está incompleto). `setId` = `AAAAMMDDTHHMMSSZ-<6 hex>` (UTC), ordena por data.', '');
  out.push(`A chave privada (identidade age) fica em \`${identity}\`; cópia em papel/cofre físico conforme a política da clínica.`, '');
  if (Object.values(config.sources).some((s) => s.type === 'files' && s.format === 'packs')) {
    out.push('A chave de conteúdo do computador de backup (`$COFRE_HOME/content-key`, não restaura nada sozinha) deve ser guardada junto com a identidade: sem ela, um computador que perdeu `files-state.sqlite` reenvia todos os arquivos uma vez (nada se perde).', '');
  }
  out.push(...signersSection(config));

  out.push('## 2. Caminho com o Cofre', '', '```sh');
  out.push('cofre sets                                   # pontos de restauração (completo/incompleto/duvidoso/não assinado)');
  out.push('cofre verify <setId> --deep                  # opcional: baixa, confere hash e descriptografa');
  const targets = Object.entries(config.restoreTargets);
  const staging = targets.find(([, t]) => t.kind === 'staging')?.[0] ?? '<homologacao>';
  const prod = targets.find(([, t]) => t.kind === 'production')?.[0] ?? '<producao>';
  out.push(`cofre restore --at "<AAAA-MM-DDTHH:MM:SS-03:00>" --target ${staging} --incident-start "<hora do incidente>"`);
  out.push(`cofre restore <setId> --target ${prod} --yes --confirm-name ${prod} --incident-start "<hora do incidente>"`);
  out.push('cofre drill                                  # teste trimestral em homologação');
  out.push('```', '');
  out.push('O Cofre faz: verificação prévia (conexão com chave fixada, versões de pg_restore/mysql/tar, espaço em disco, chave decifra o conjunto, hashes), projeção do tempo contra as 4 h, cópia de segurança do que será sobrescrito (produção, em `/var/tmp/cofre-safety-<data>-<aleatório>/`, pasta criada com `mktemp -d`, no servidor destino), transferência, validação (linhas por tabela, número e bytes de arquivos) e relatório em `$COFRE_HOME/reports/`.', '');
  out.push('Em homologação os bancos são criados como `<banco>_restore_<6 hex do set>` (no teste trimestral, `<banco>_drill_<6 hex>`) e os arquivos em `<filesRoot>/<setId>/` (`<filesRoot>/drill-<setId>/`); nada existente é sobrescrito.', '');

  out.push('## 3. Caminho manual (sem o Cofre)', '', 'Requer: `age`, `aws` (S3) ou acesso à pasta, `zstd` (dumps MySQL e pacotes comprimidos) e as ferramentas do banco (`pg_restore`/`psql` da mesma versão maior ou mais nova que a do backup; `mysql`; `tar`).', '');
  for (const [n, p] of Object.entries(config.plans)) {
    const st = config.storage[p.storage];
    if (!st) continue;
    const w = storageWhere(st);
    out.push(`### Plano ${n}`, '', '```sh', '# 1. listar os conjuntos e escolher o mais recente com manifest.json', w.list, `${w.list.replace(/\/$/, '')}/<setId>/`, `${w.get('<setId>', 'manifest.json')} > manifest.json   # tamanhos, SHA-256 e contagem de linhas`, `${w.get('<setId>', 'manifest.json.sig')} > manifest.json.sig`, '# 1b. OBRIGATÓRIO: conferir a assinatura antes de confiar no manifest (arquivo allowed_signers da seção 1)', VERIFY_COMMAND,
      '# se falhar e existir manifest.json.sig.next (repack interrompido neste conjunto; seção 1), confira com ele:',
      `${w.get('<setId>', 'manifest.json.sig.next')} > manifest.json.sig.next`, VERIFY_NEXT_COMMAND, '# 2. conferir o hash de cada objeto com o manifest (o manifest assinado garante os hashes)', `${w.get('<setId>', '<objeto>.age')} | sha256sum`, '# 3. restaurar (substitua <host>; o prefixo sai de cada objeto)');
    for (const s of p.sources) {
      const src = config.sources[s];
      if (src) out.push(...manualSteps(s, src, (obj) => w.get('<setId>', obj), identity));
    }
    out.push('```', '');
  }
  out.push('Objetos comprimidos trazem `.zst` antes de `.age` (ex.: `.sql.zst.age`): acrescente `| zstd -d` depois do `age -d`.', '');
  out.push('### Conjuntos no formato 2 (arquivos em pacotes, `manifest.json` com `"format": "cofre-set/2"`)', '');
  out.push('Cada conjunto traz `sets/<setId>/restore.sh`, um script POSIX em texto (sem nomes de arquivos) que reconstrói **todas** as origens do conjunto só com `sh`, coreutils, `age`, `tar` e `zstd`: arquivos em `SAIDA/<origem>/` (caminhos como no servidor), bancos como `SAIDA/<origem>/<banco>.pgdump` / `<banco>.sql`. Ele confere o SHA-256 de cada índice e pacote antes de usá-lo. Como recebe a identidade, confira antes a assinatura do manifest e o hash do script:', '', '```sh');
  out.push('# numa cópia da raiz do armazenamento (a pasta com sets/ e packs/); no S3 baixe sets/<setId>/ e os pacotes que o script lista:');
  out.push('sh sets/<setId>/restore.sh --list-packs          # pacotes necessários (packs/<id>.tar.zst.age), um por linha');
  out.push('ssh-keygen -Y verify -f allowed_signers -I <signatário> -n cofre-manifest -s sets/<setId>/manifest.json.sig < sets/<setId>/manifest.json');
  out.push('# se a assinatura falhar e existir manifest.json.sig.next (um repack parou neste conjunto), confira com ele:');
  out.push('ssh-keygen -Y verify -f allowed_signers -I <signatário> -n cofre-manifest -s sets/<setId>/manifest.json.sig.next < sets/<setId>/manifest.json');
  out.push('sha256sum sets/<setId>/restore.sh               # deve ser igual a restoreScript.sha256 no manifest.json');
  out.push('# diferente logo após conferir com o .sig.next: o repack parou antes de regravar o restore.sh. NÃO o rode:');
  out.push('# use o conjunto anterior ou o seguinte (só este fica assim) ou rode `cofre repack`, que o termina');
  out.push(`sh sets/<setId>/restore.sh ${identity} /srv/restore   # pede a senha da identidade uma vez, se ela tiver senha`);
  out.push('# ver o índice de uma origem (uma linha por entrada; confira antes o SHA-256 dele com o manifest):');
  out.push(`age -d -i ${identity} sets/<setId>/<origem>.index.zst.age | zstd -d | less   # conjuntos sem compress, ou anteriores à compressão do índice: <origem>.index.age, sem o "| zstd -d"`);
  out.push('# um arquivo à mão: o membro do pacote (campo pacote) cujo nome começa com o campo cid da linha');
  out.push(`age -d -i ${identity} packs/<pacote>.tar.zst.age | zstd -d | tar -x -f - --wildcards '<cid>*'   # pacote .tar.age: sem o "| zstd -d"`);
  out.push('```', '');
  out.push('Campos de cada linha do índice: tipo caminho modo uid gid dono grupo mtime tamanho alvo grupo-de-links esparso cid pacote membro. Índices `# cofre-files-index/2` trazem no cid só os 16 primeiros dígitos hex do id de conteúdo e `-` no membro: o conteúdo é o membro do pacote cujo nome (o id inteiro) começa com eles, e um pacote nunca tem dois assim. Índices `/1` (conjuntos anteriores) trazem o id inteiro nos dois campos. O `restore.sh` extrai cada pacote numa pasta própria e acha cada membro por esse prefixo; recusa um pacote com dois membros de mesmo prefixo.', '');
  out.push('Donos são restaurados (pelo nome, senão pelo número) só quando o script roda como root. Atributos estendidos (xattrs) e ACLs não são guardados.', '');
  out.push('## 4. Depois de restaurar', '', '1. Conferir contagens de linhas com `rowCounts` do manifest (por tabela) e número/bytes de arquivos com `fileCount`/`fileBytes`.', '2. Subir a aplicação e testar o acesso.', '3. Registrar horário de término (RTO) e a data do conjunto (RPO); guardar o relatório.', '4. Apagar as cópias de segurança em `/var/tmp/cofre-safety-*` quando a restauração for aceita.', '');
  return out.join('\n');
}
