/**
 * The engine's messages by stable key: what happened and what to do, in pt-BR (the console's
 * default) and English. The engine keeps its English `message`/`hint` as the technical detail
 * (and for the CLI); the console shows the text from here and folds the English under
 * "Detalhe técnico".
 *
 * HOW TO ADD A MESSAGE — one entry in this table, nothing else:
 *   'storage.unreachable': { pt: 'O armazenamento {storage} não respondeu', ptDo: 'Confira…', en: 'Storage {storage} did not answer', enDo: 'Check…' },
 * then name it where the engine says it (the key is type-checked, params fill `{name}`):
 *   error:  throw new CofreError('STORAGE_UNREACHABLE', `English…`, { hint, key: 'storage.unreachable', params: { storage } })
 *   check:  { name, ok, message, ...said('check.target.reachable', { target }) }   (checks need ptFail/enFail too)
 *   valid.: { name, ok, expected, actual, ...said('validate.rows', { table, expected, actual }) }
 *   log:    log('info', `English line`, said('log.set.complete', { setId }))
 * Params are names, numbers and sizes (storage, set, path, host…), never English sentences and
 * never secrets. `ptDo`/`enDo` are optional: without them the console says the generic action of
 * the error's code. A check entry has the text for a passed check (`pt`/`en`) and for a failed
 * one (`ptFail`/`enFail`): "✓ Destino acessível" / "✕ Destino inacessível".
 * An error without a key (or with a key this console does not know) falls back to the
 * generic pt-BR sentence of its ErrorCode (error.<CODE>.title in engine-texts.ts).
 */

export interface MessageEntry {
  pt: string;
  en: string;
  ptDo?: string;
  enDo?: string;
}

export interface CheckEntry extends MessageEntry {
  ptFail: string;
  enFail: string;
}

export const CATALOG = {
  // ── configuration ──────────────────────────────────────────────────────────
  'config.missing': { pt: 'O arquivo de configuração {path} não foi encontrado', en: 'No config file at {path}', ptDo: 'Crie-o com "cofre init" ou aponte COFRE_CONFIG para ele.', enDo: 'Create it with "cofre init" or point COFRE_CONFIG at it.' },
  'config.unreadable': { pt: 'Não foi possível ler o arquivo de configuração {path}', en: 'Cannot read the config file {path}', ptDo: 'Confira as permissões do arquivo.', enDo: 'Check the file permissions.' },
  'config.yaml': { pt: 'O arquivo {file} não é um YAML válido', en: '{file} is not valid YAML', ptDo: 'Corrija a sintaxe (recuo com espaços; textos com ":" ou "#" entre aspas).', enDo: 'Fix the syntax (indent with spaces; quote strings with ":" or "#").' },
  'config.value': { pt: 'Valor inválido em {file}, no item {path}', en: 'Invalid value in {file} at {path}', ptDo: 'Corrija esse item no cofre.yaml e tente de novo.', enDo: 'Fix that item in cofre.yaml and try again.' },
  'config.unknownStorage': { pt: '"{name}" não é um armazenamento da configuração', en: '"{name}" is not a storage in the config', ptDo: 'Confira o nome ou cadastre-o em storage no cofre.yaml.', enDo: 'Check the name or add it under storage in cofre.yaml.' },
  'config.unknownServer': { pt: '"{name}" não é um servidor da configuração', en: '"{name}" is not a server in the config', ptDo: 'Confira o nome ou cadastre-o em Servidores.', enDo: 'Check the name or add it in Servers.' },
  'config.unknownPlan': { pt: '"{name}" não é um plano da configuração', en: '"{name}" is not a plan in the config', ptDo: 'Confira o nome do plano em Planos.', enDo: 'Check the plan name in Plans.' },
  'config.unknownSource': { pt: 'O plano {plan} cita a origem "{source}", que não existe', en: 'Plan {plan} names source "{source}", which does not exist', ptDo: 'Cadastre a origem no cofre.yaml ou tire-a do plano.', enDo: 'Add the source to cofre.yaml or remove it from the plan.' },
  'config.sourceServer': { pt: 'A origem "{source}" cita o servidor "{server}", que não existe', en: 'Source "{source}" names server "{server}", which does not exist', ptDo: 'Cadastre primeiro o servidor em Servidores.', enDo: 'Add the server in Servers first.' },
  'config.noPlans': { pt: 'A configuração não tem nenhum plano', en: 'The config has no plans', ptDo: 'Crie um plano em Planos.', enDo: 'Create a plan in Plans.' },
  'config.choosePlan': { pt: 'Há vários planos: escolha um', en: 'Several plans exist: choose one' },
  'config.storageType': { pt: 'Tipo de armazenamento desconhecido: {type}', en: 'Unknown storage type {type}', ptDo: 'Use "s3" ou "folder".', enDo: 'Use "s3" or "folder".' },
  'config.noIdentity': { pt: 'A configuração não indica a chave privada (encryption.identityFile)', en: 'The config names no age identity (encryption.identityFile)', ptDo: 'Aponte encryption.identityFile para a identidade criada por "cofre init" (ou a cópia guardada no cofre físico).', enDo: 'Point encryption.identityFile at the identity made by "cofre init" (or the copy from the safe).' },
  'config.timezone': { pt: '"{timezone}" não é um fuso horário conhecido', en: '"{timezone}" is not a known time zone', ptDo: 'Escolha um fuso da lista, por exemplo America/Sao_Paulo.', enDo: 'Choose a zone from the list, e.g. America/Sao_Paulo.' },
  'config.cron': { pt: 'A agenda "{cron}" não é uma expressão cron válida', en: '"{cron}" is not a valid cron expression', ptDo: 'Use cinco campos, por exemplo "0 2 * * *" (todo dia às 02:00).', enDo: 'Use five fields, e.g. "0 2 * * *" (every day at 02:00).' },
  'secret.env': { pt: 'Falta a variável de ambiente {env} ({what})', en: 'Environment variable {env} is not set ({what})', ptDo: 'Defina {env} no ambiente que executa o Cofre e reinicie-o.', enDo: 'Set {env} in the environment that runs Cofre and restart it.' },
  'secret.file': { pt: 'O arquivo de segredo {path} não existe ({what})', en: 'Secret file {path} does not exist ({what})', ptDo: 'Crie o arquivo com permissão 0600.', enDo: 'Create it with mode 0600.' },
  'secret.fileMode': { pt: 'O arquivo de segredo {path} pode ser lido por outros usuários', en: 'Secret file {path} is readable by other users', ptDo: 'Execute: chmod 600 {path}', enDo: 'Run: chmod 600 {path}' },

  // ── servers and SSH ────────────────────────────────────────────────────────
  'ssh.unreachable': { pt: 'Não foi possível alcançar o servidor {server}', en: 'Cannot reach server {server}', ptDo: 'Confira se o servidor está ligado, se {host}:{port} é o endereço e a porta SSH e se nenhum firewall bloqueia.', enDo: 'Check that the server is on, that {host}:{port} is its SSH address and port, and that no firewall blocks it.' },
  'ssh.notSsh': { pt: 'O servidor {server} não respondeu como SSH', en: 'Server {server} does not speak SSH', ptDo: 'Confira se a porta {port} é a porta SSH do servidor (normalmente 22).', enDo: 'Check that port {port} is the SSH port (usually 22).' },
  'ssh.lost': { pt: 'A conexão SSH com {server} caiu', en: 'The SSH connection to {server} was lost', ptDo: 'Confira a rede e o servidor e execute de novo.', enDo: 'Check the network and the server, then run again.' },
  'ssh.auth': { pt: 'O servidor {server} recusou o acesso do usuário {user}', en: 'Server {server} refused the login of user {user}', ptDo: 'Coloque a chave pública em ~/.ssh/authorized_keys do usuário {user} no servidor e confira o nome do usuário.', enDo: 'Add the public key to ~/.ssh/authorized_keys of {user} on the server, and check the user name.' },
  'ssh.keyUnreadable': { pt: 'Não foi possível ler a chave privada {file} do servidor {server}', en: 'Cannot read private key {file} of server {server}', ptDo: 'Confira o caminho e se o usuário que executa o Cofre pode lê-lo.', enDo: 'Check the path and that the user running Cofre can read it.' },
  'ssh.keyPassphrase': { pt: 'A chave privada {file} do servidor {server} tem senha, e ela não foi informada ou está errada', en: 'Private key {file} of server {server} needs a passphrase, missing or wrong', ptDo: 'Confira a variável indicada em servers.{server}.privateKeyPassphraseEnv.', enDo: 'Check the variable named by servers.{server}.privateKeyPassphraseEnv.' },
  'ssh.keyFormat': { pt: 'O arquivo {file} não é uma chave privada que o Cofre consiga usar', en: '{file} is not a private key Cofre can use', ptDo: 'Use uma chave OpenSSH (ed25519, ECDSA ou RSA); "ssh-keygen -t ed25519" cria uma.', enDo: 'Use an OpenSSH key (ed25519, ECDSA or RSA); "ssh-keygen -t ed25519" creates one.' },
  'ssh.hostKeyMismatch': { pt: 'A identidade do servidor {server} mudou: a impressão digital não é a confirmada. Nada foi enviado a ele', en: "Server {server}'s host key changed: it is not the confirmed fingerprint. Nothing was sent to it", ptDo: 'Não continue: confirme com o responsável pelo servidor se a chave foi trocada; só então confirme a nova impressão digital em Servidores.', enDo: 'Stop: ask whoever runs the server whether its key was replaced; only then confirm the new fingerprint in Servers.' },
  'ssh.hostKeyUnpinned': { pt: 'A identidade do servidor {server} ainda não foi confirmada', en: "Server {server}'s host key is not confirmed yet", ptDo: 'Em Servidores, busque a impressão digital, compare com a do servidor e confirme.', enDo: 'In Servers, fetch the fingerprint, compare it with the server and confirm it.' },
  'ssh.commandFailed': { pt: 'O comando {command} falhou no servidor {server}', en: '{command} failed on server {server}', ptDo: 'Leia a saída de erro no detalhe técnico; o comando rodou no servidor.', enDo: 'Read the error output in the technical detail; the command ran on the server.' },
  'ssh.commandMissing': { pt: 'O comando {command} não está instalado no servidor {server}', en: '{command} is not installed on server {server}', ptDo: 'Instale-o no servidor (ou ponha-o no PATH do usuário SSH).', enDo: "Install it on the server (or put it on the SSH user's PATH)." },
  'ssh.cancelled': { pt: 'O comando {command} foi cancelado', en: '{command} was cancelled' },
  'ssh.lockBusy': { pt: 'Outra execução do Cofre está usando o servidor {server}', en: 'Another Cofre run holds the lock on server {server}', ptDo: 'Aguarde a outra cópia ou restauração deste servidor terminar e execute de novo.', enDo: 'Wait for the other backup or restore of this server to finish, then run again.' },
  'ssh.lockFailed': { pt: 'Não foi possível reservar o servidor {server} para esta execução', en: 'Could not take the lock on server {server}', ptDo: 'Instale util-linux (flock) no servidor e confira se /tmp aceita escrita do usuário SSH.', enDo: 'Install util-linux (flock) on the server and check that /tmp is writable by the SSH user.' },
  'ssh.test': { pt: 'Acesso como {user} funciona ({host}:{port})', ptFail: 'A conexão com o servidor {server} falhou', en: 'Login as {user} works ({host}:{port})', enFail: 'The connection to server {server} failed' },
  'local.test': { pt: 'Esta máquina executa os comandos como {user}; sh, GNU tar, find e flock encontrados', ptFail: 'O servidor local {server} não está pronto', en: 'This machine runs the commands as {user}; sh, GNU tar, find and flock found', enFail: 'Local server {server} is not ready', ptDo: 'Instale o que falta (Debian: apt install tar findutils util-linux) e teste de novo.', enDo: 'Install what is missing (Debian: apt install tar findutils util-linux) and test again.' },
  'ssh.notPinnedYet': { pt: 'Identidade do servidor {server} confirmada', ptFail: 'A identidade do servidor {server} ainda não foi confirmada', en: "Server {server}'s identity confirmed", enFail: "Server {server}'s identity is not confirmed yet", ptDo: 'Busque a impressão digital, compare com a do servidor e confirme antes de testar.', enDo: 'Fetch the fingerprint, compare it with the server and confirm it before testing.' },
  'ssh.probeFirst': { pt: 'Busque a impressão digital antes de confirmar', en: 'Fetch the fingerprint first', ptDo: 'Use "Buscar impressão digital" e compare com a do servidor.', enDo: 'Use "Fetch fingerprint" and compare it with the server.' },
  'ssh.trustChanged': { pt: 'O servidor {server} agora apresenta outra impressão digital, diferente da que você confirmou', en: 'Server {server} now presents another fingerprint than the one you confirmed', ptDo: 'Confira a impressão digital no console do servidor e confirme de novo.', enDo: "Check the fingerprint on the server's console and confirm again." },

  // ── storage ────────────────────────────────────────────────────────────────
  'storage.unreachable': { pt: 'O armazenamento {storage} não respondeu', en: 'Storage {storage} did not answer', ptDo: 'Confira a internet, o endereço (endpoint/região) e as credenciais do armazenamento; a próxima execução tenta de novo.', enDo: "Check the internet link, the storage's endpoint/region and credentials; the next run retries." },
  'storage.ioError': { pt: 'Erro de leitura ou gravação no armazenamento {storage}', en: 'I/O error on storage {storage}', ptDo: 'Confira o disco ou a montagem do NAS (rede, energia) e execute de novo.', enDo: 'Check the disk or the NAS mount (network, power), then run again.' },
  'storage.denied': { pt: 'O armazenamento {storage} negou o acesso', en: 'Storage {storage} denied access', ptDo: 'Dê às credenciais (ou ao usuário do Cofre) permissão de listar, ler, gravar e apagar no bucket ou pasta.', enDo: 'Give the credentials (or the Cofre user) list, read, write and delete rights on the bucket or folder.' },
  'storage.credentials': { pt: 'O armazenamento {storage} recusou as credenciais', en: 'Storage {storage} rejected the credentials', ptDo: 'Confira as variáveis de ambiente com a chave de acesso e o segredo deste armazenamento.', enDo: "Check the environment variables holding this storage's access key and secret." },
  'storage.clock': { pt: 'O relógio desta máquina está muito diferente do relógio do armazenamento {storage}', en: "This machine's clock differs too much from storage {storage}", ptDo: 'Sincronize o relógio (NTP) e tente de novo.', enDo: 'Synchronise the clock (NTP) and try again.' },
  'storage.region': { pt: 'O bucket do armazenamento {storage} não está na região configurada', en: "Storage {storage}'s bucket is not in the configured region", ptDo: 'Corrija a região (ou o endpoint) do armazenamento no cofre.yaml.', enDo: "Fix the storage's region (or endpoint) in cofre.yaml." },
  'storage.noBucket': { pt: 'O bucket {bucket} do armazenamento {storage} não existe', en: 'Bucket {bucket} of storage {storage} does not exist', ptDo: 'Crie o bucket ou corrija o nome no cofre.yaml.', enDo: 'Create the bucket or fix its name in cofre.yaml.' },
  'storage.full': { pt: 'O armazenamento {storage} está sem espaço', en: 'Storage {storage} is full', ptDo: 'Libere espaço, reduza a retenção ou aponte o armazenamento para um disco maior.', enDo: 'Free space, shorten retention or point the storage at a larger disk.' },
  'storage.readOnly': { pt: 'O armazenamento {storage} está somente leitura', en: 'Storage {storage} is read-only', ptDo: 'Monte-o com escrita ou escolha outra pasta.', enDo: 'Remount it read-write or choose another folder.' },
  'storage.folderMissing': { pt: 'A pasta {path} do armazenamento {storage} não existe', en: 'Folder {path} of storage {storage} does not exist', ptDo: 'Crie a pasta ou monte o disco/NAS nela (o Cofre não a cria, para perceber um NAS desmontado).', enDo: 'Create it or mount the disk/NAS there (Cofre does not create it, so an unmounted NAS is noticed).' },
  'storage.notFolder': { pt: '{path} (armazenamento {storage}) não é uma pasta', en: '{path} (storage {storage}) is not a folder', ptDo: 'Aponte storage.{storage}.path para uma pasta.', enDo: 'Point storage.{storage}.path at a folder.' },
  'storage.objectMissing': { pt: 'Um objeto da cópia não está no armazenamento {storage}', en: 'An object of the set is missing from storage {storage}', ptDo: 'Atualize a lista em Cópias; o objeto pode ter sido apagado.', enDo: 'Refresh Backups; the object may have been deleted.' },
  'storage.failed': { pt: 'O armazenamento {storage} recusou a operação', en: 'Storage {storage} refused the operation', ptDo: 'Confira permissões e espaço do armazenamento e tente de novo.', enDo: "Check the storage's permissions and space and try again." },

  // ── sources (backup) ───────────────────────────────────────────────────────
  'source.pathsMissing': { pt: 'Pastas da origem não encontradas no servidor: {paths}', en: 'Source paths not found on the server: {paths}', ptDo: 'Corrija os caminhos da origem de arquivos no cofre.yaml.', enDo: 'Fix the paths of the files source in cofre.yaml.' },
  'source.tarFailed': { pt: 'A cópia dos arquivos falhou no servidor', en: 'Copying the files failed on the server', ptDo: 'Confira se o usuário de cópia consegue ler todos os arquivos das pastas listadas.', enDo: 'Check that the backup user can read every file under the listed paths.' },
  'source.pgDumpFailed': { pt: 'A cópia do banco PostgreSQL {database} falhou', en: 'pg_dump of database {database} failed', ptDo: 'Confira o nome do banco e se o usuário de cópia lê todas as tabelas (GRANT pg_read_all_data).', enDo: 'Check the database name and that the backup user reads every table (GRANT pg_read_all_data).' },
  'source.mysqlDumpFailed': { pt: 'A cópia do banco MySQL {database} falhou', en: 'mysqldump of database {database} failed', ptDo: 'Confira o nome do banco e se o usuário tem SELECT, SHOW VIEW, TRIGGER, EVENT e LOCK TABLES.', enDo: 'Check the database name and that the user has SELECT, SHOW VIEW, TRIGGER, EVENT and LOCK TABLES.' },
  'source.snapshot': { pt: 'Não foi possível fixar um instantâneo do banco {database}', en: 'Could not export a snapshot of database {database}', ptDo: 'É preciso PostgreSQL 9.2 ou mais novo.', enDo: 'PostgreSQL 9.2 or newer is required.' },
  'source.pgSessionEnded': { pt: 'A sessão com o banco {database} terminou antes do fim', en: 'The session on database {database} ended early', ptDo: 'Confira se o banco {database} existe e se o usuário da origem pode acessá-lo.', enDo: 'Check that database {database} exists and that the source user can access it.' },
  'source.endedEarly': { pt: 'A leitura no servidor terminou antes do fim', en: 'Reading from the server ended early', ptDo: 'Confira o nome do banco, o usuário e as permissões na configuração da origem.', enDo: 'Check the database name, user and permissions in the source config.' },
  'source.probeFailed': { pt: 'A verificação {command} falhou no servidor {server}', en: '{command} failed on server {server}', ptDo: 'Leia a saída de erro no detalhe técnico e corrija a origem.', enDo: 'Read the error output in the technical detail and fix the source.' },

  // ── backup runs ────────────────────────────────────────────────────────────
  'backup.geoRequired': { pt: 'O plano {plan} exige separação geográfica, e o armazenamento não está em outra região ou provedor', en: 'Plan {plan} requires geo-separation and its storage is not in another region or provider', ptDo: 'Aponte o plano para um armazenamento em outra região ou provedor.', enDo: 'Point the plan at storage in another region or provider.' },
  'backup.busy': { pt: 'O plano {plan} já está em execução', en: 'Plan {plan} is already running', ptDo: 'Aguarde a execução atual terminar (veja em Execuções).', enDo: 'Wait for the current run to finish (see Runs).' },

  // ── sets, verification, restore ────────────────────────────────────────────
  'set.notFound': { pt: 'A cópia {setId} não está no armazenamento', en: 'Set {setId} is not in storage', ptDo: 'Atualize a lista em Cópias e escolha uma cópia listada.', enDo: 'Refresh Backups and choose a listed set.' },
  'set.incomplete': { pt: 'A cópia {setId} está incompleta', en: 'Set {setId} is incomplete', ptDo: 'Escolha outra cópia completa.', enDo: 'Choose another complete set.' },
  'set.noneBefore': { pt: 'Nenhuma cópia completa foi feita até {at}', en: 'No complete set was made at or before {at}', ptDo: 'Escolha um momento mais recente.', enDo: 'Choose a later moment.' },
  'set.none': { pt: 'Não há cópia completa para restaurar', en: 'There is no complete set to restore', ptDo: 'Execute um plano primeiro (Executar agora, no Painel).', enDo: 'Run a plan first (Run now, on the Dashboard).' },
  'set.integrity': { pt: 'Um objeto da cópia mudou depois da cópia: o SHA-256 não confere com o manifesto', en: 'An object of the set changed after the backup: its SHA-256 does not match the manifest', ptDo: 'Não use esta cópia: restaure outra.', enDo: 'Do not use this set: restore another one.' },
  'verify.needsIdentity': { pt: 'A verificação profunda precisa da chave privada (identidade age)', en: 'Deep verification needs the age identity (private key)', ptDo: 'Indique encryption.identityFile no cofre.yaml.', enDo: 'Set encryption.identityFile in cofre.yaml.' },
  'restore.noTarget': { pt: 'Não há destino de restauração chamado "{target}"', en: 'There is no restore target named "{target}"', ptDo: 'Cadastre-o em restoreTargets no cofre.yaml.', enDo: 'Add it under restoreTargets in cofre.yaml.' },
  'restore.noTargets': { pt: 'A configuração não tem destino de restauração', en: 'The config has no restore targets', ptDo: 'Cadastre um em restoreTargets no cofre.yaml (kind: staging).', enDo: 'Add one under restoreTargets in cofre.yaml (kind: staging).' },
  'restore.chooseTarget': { pt: 'Há vários destinos de restauração: escolha um', en: 'Several restore targets exist: choose one' },
  'restore.targetLacks': { pt: 'O destino {target} não tem {service}, necessário para {item}', en: 'Target {target} has no {service}, needed for {item}', ptDo: 'Configure {service} no destino ou deixe essa origem de fora.', enDo: 'Configure {service} on the target or leave that source out.' },
  'restore.unknownSource': { pt: 'A cópia {setId} não tem a origem "{source}"', en: 'Set {setId} has no source "{source}"', ptDo: 'Escolha uma das origens da cópia.', enDo: "Choose one of the set's sources." },
  'restore.emptySelection': { pt: 'Nada para restaurar: a seleção está vazia', en: 'Nothing to restore: the selection is empty', ptDo: 'Escolha pelo menos uma origem.', enDo: 'Choose at least one source.' },
  'restore.confirmProduction': { pt: 'Restaurar no destino de produção {target} substitui os dados dele', en: 'Restoring into production target {target} overwrites its data', ptDo: 'Digite o nome do destino ({target}) para confirmar.', enDo: "Type the target's name ({target}) to confirm." },
  'restore.confirmMismatch': { pt: 'O nome digitado não é o do destino de produção {target}: nada foi alterado', en: 'The typed name is not production target {target}: nothing was touched', ptDo: 'Digite o nome exatamente: {target}', enDo: 'Type the name exactly: {target}' },
  'restore.badInstant': { pt: '"{value}" não é uma data e hora válida', en: '"{value}" is not a valid date and time', ptDo: 'Use dia e hora, por exemplo 01/03/2026 08:15.', enDo: 'Use a date and time, e.g. 2026-03-01 08:15.' },
  'restore.chooseSet': { pt: 'Escolha uma cópia ou um momento', en: 'Choose a set or a moment' },
  'restore.toolFailed': { pt: 'A restauração de {item} em {destination} falhou no destino', en: 'Restoring {item} into {destination} failed on the target', ptDo: 'Leia a saída de erro no detalhe técnico; ela veio da ferramenta no destino.', enDo: 'Read the error output in the technical detail; it came from the tool on the target.' },
  'restore.safetyFailed': { pt: 'A cópia de segurança do destino falhou: nada foi sobrescrito', en: 'The safety dump of the target failed: nothing was overwritten', ptDo: 'Corrija o problema (espaço em /var/tmp?) e restaure de novo.', enDo: 'Fix the problem (space under /var/tmp?) and restore again.' },
  'restore.targetBusy': { pt: 'Já há uma restauração ou teste no destino {target}', en: 'A restore or drill into target {target} is still running', ptDo: 'Aguarde terminar (veja Execuções) e comece de novo.', enDo: 'Wait for it to finish (see Runs), then start again.' },
  'restore.preflightFailed': { pt: 'A verificação prévia encontrou problemas: nada foi alterado no destino', en: 'Preflight found problems: nothing was changed on the target', ptDo: 'Corrija os itens marcados com ✕ e verifique de novo.', enDo: 'Fix the items marked ✕ and check again.' },
  'restore.validationFailed': { pt: 'Os dados restaurados não conferem com a cópia', en: 'The restored data does not match the set', ptDo: 'Veja as linhas da validação marcadas com ✕.', enDo: 'See the validation lines marked ✕.' },
  'drill.noStaging': { pt: 'Não há destino de homologação para o teste', en: 'There is no staging target for the drill', ptDo: 'Cadastre um destino com kind: staging em restoreTargets.', enDo: 'Add a target with kind: staging under restoreTargets.' },
  'drill.chooseTarget': { pt: 'Há vários destinos de homologação: escolha um para o teste', en: 'Several staging targets exist: choose one for the drill', ptDo: 'Defina drill.target no cofre.yaml.', enDo: 'Set drill.target in cofre.yaml.' },
  'drill.notStaging': { pt: 'O teste trimestral só restaura em homologação; {target} não é homologação', en: 'The drill restores into staging only; {target} is not staging', ptDo: 'Aponte drill.target para um destino de homologação.', enDo: 'Point drill.target at a staging target.' },
  'run.notFound': { pt: 'A execução {id} não foi encontrada', en: 'Run {id} was not found', ptDo: 'Escolha uma execução da lista em Execuções.', enDo: 'Pick a run from the list in Runs.' },
  'run.interrupted': { pt: 'A execução foi interrompida (o Cofre foi encerrado durante ela)', en: 'The run was interrupted (Cofre stopped during it)', ptDo: 'Execute de novo.', enDo: 'Run it again.' },
  'scheduler.busy': { pt: 'Já há um agendador do Cofre em execução (pid {pid})', en: 'A Cofre scheduler is already running (pid {pid})', ptDo: 'Use esse (o console se conecta a ele) ou pare-o antes.', enDo: 'Use that one (the console connects to it), or stop it first.' },

  // ── preflight checks (ok text / failed text) ───────────────────────────────
  'check.target.reachable': { pt: 'Destino {target} acessível', ptFail: 'Destino {target} inacessível', en: 'Target {target} reachable', enFail: 'Target {target} unreachable' },
  'check.pgRestore': { pt: 'pg_restore do destino lê esta cópia', ptFail: 'pg_restore do destino não lê esta cópia', en: "The target's pg_restore reads this set", enFail: "The target's pg_restore cannot read this set", ptDo: 'Instale no destino as ferramentas cliente do PostgreSQL {needed} (ou mais novas).', enDo: 'Install PostgreSQL {needed} client tools (or newer) on the target.' },
  'check.pgRestoreMissing': { pt: 'pg_restore instalado no destino', ptFail: 'pg_restore não encontrado no destino', en: 'pg_restore installed on the target', enFail: 'pg_restore not found on the target', ptDo: 'Instale postgresql-client no destino.', enDo: 'Install postgresql-client on the target.' },
  'check.mysqlClient': { pt: 'Cliente mysql instalado no destino', ptFail: 'Cliente mysql não instalado no destino', en: 'mysql client installed on the target', enFail: 'mysql client not installed on the target', ptDo: 'Instale mariadb-client no destino.', enDo: 'Install mariadb-client on the target.' },
  'check.tar': { pt: 'tar instalado no destino', ptFail: 'tar não instalado no destino', en: 'tar installed on the target', enFail: 'tar not installed on the target', ptDo: 'Instale tar no destino.', enDo: 'Install tar on the target.' },
  'check.identity': { pt: 'A chave configurada abre a cópia', ptFail: 'A chave configurada não abre a cópia', en: 'The configured key opens the set', enFail: 'The configured key does not open the set', ptDo: 'Confira se encryption.identityFile é a chave privada que corresponde a uma das chaves públicas da cópia.', enDo: "Check that encryption.identityFile is the private key matching one of the set's public keys." },
  'check.object': { pt: 'Objeto {object}: tamanho e SHA-256 conferem', ptFail: 'Objeto {object} com problema', en: 'Object {object}: size and SHA-256 match', enFail: 'Object {object} has a problem', ptDo: 'Restaure outra cópia (ou de outro armazenamento).', enDo: 'Restore another set (or from another storage).' },
  'check.objectSize': { pt: 'Objeto {object}: tamanho confere (o SHA-256 é conferido na transferência)', ptFail: 'Objeto {object}: o tamanho não confere com o manifesto', en: 'Object {object}: size matches (SHA-256 checked during transfer)', enFail: "Object {object}: size differs from the manifest's", ptDo: 'Restaure outra cópia.', enDo: 'Restore another set.' },
  'check.objectMissing': { pt: 'Objeto {object} presente', ptFail: 'Objeto {object} ausente do armazenamento', en: 'Object {object} present', enFail: 'Object {object} missing from storage', ptDo: 'Restaure outra cópia.', enDo: 'Restore another set.' },
  'check.objectHash': { pt: 'Objeto {object}: SHA-256 confere', ptFail: 'Objeto {object} corrompido: o SHA-256 não confere', en: 'Object {object}: SHA-256 matches', enFail: 'Object {object} corrupted: SHA-256 does not match', ptDo: 'Restaure outra cópia (ou de outro armazenamento).', enDo: 'Restore another set (or from another storage).' },
  'check.diskSpace': { pt: 'Espaço em disco em {mount}: {free} livres, cerca de {need} necessários', ptFail: 'Falta espaço em disco em {mount}: {free} livres, cerca de {need} necessários', en: 'Disk space on {mount}: {free} free, about {need} needed', enFail: 'Not enough disk space on {mount}: {free} free, about {need} needed', ptDo: 'Libere espaço ou aumente o disco antes de restaurar.', enDo: 'Free space or grow the disk before restoring.' },
  'check.diskUnknown': { pt: 'Espaço em disco dos bancos não verificado (pasta de dados desconhecida)', ptFail: 'Espaço em disco dos bancos não verificado', en: 'Database disk space not checked (data folder unknown)', enFail: 'Database disk space not checked' },
  'check.destination.new': { pt: 'Destino {destination}: ainda não existe, será criado', ptFail: 'Destino {destination}', en: 'Destination {destination}: does not exist yet, it is created', enFail: 'Destination {destination}' },
  'check.destination.rename': { pt: 'Destino {destination}: já existe e será renomeado antes da restauração', ptFail: 'Destino {destination}', en: 'Destination {destination}: exists, renamed aside before the restore', enFail: 'Destination {destination}' },
  'check.destination.replace': { pt: 'Destino {destination}: será substituído (depois de uma cópia de segurança)', ptFail: 'Destino {destination}', en: 'Destination {destination}: replaced (after a safety dump)', enFail: 'Destination {destination}' },
  'check.destination.exists': { pt: 'Destino {destination} livre', ptFail: 'Destino {destination} já existe em homologação: o Cofre nunca o sobrescreve', en: 'Destination {destination} free', enFail: 'Destination {destination} already exists on staging: Cofre never overwrites it', ptDo: 'Apague ou renomeie {destination} antes.', enDo: 'Drop or rename {destination} first.' },
  'check.deepObject': { pt: 'Objeto {object}: SHA-256 confere, abre com a chave e o conteúdo está completo', ptFail: 'Objeto {object} falhou na verificação profunda', en: 'Object {object}: SHA-256 matches, decrypts, content complete', enFail: 'Object {object} failed deep verification', ptDo: 'Não use esta cópia: execute o plano de novo para ter uma cópia boa.', enDo: 'Do not use this set: run the plan again to get a good one.' },
  'check.contentUnchecked': { pt: 'Objeto {object}: conteúdo não conferido aqui', ptFail: 'Objeto {object}: conteúdo não conferido aqui (falta a ferramenta que o lê)', en: 'Object {object}: content not checked here', enFail: 'Object {object}: content not checked here (the tool that reads it is missing)', ptDo: 'Instale nesta máquina a ferramenta indicada no detalhe técnico (por exemplo pg_restore) e verifique de novo.', enDo: 'Install the tool named in the technical detail (e.g. pg_restore) on this machine and verify again.' },
  'check.manifest': { pt: 'Manifesto da cópia legível', ptFail: 'Manifesto da cópia ilegível', en: 'Set manifest readable', enFail: 'Set manifest unreadable' },

  // ── validation after a restore ─────────────────────────────────────────────
  'validate.rows': { pt: 'Tabela {table} ({item}): {actual} linhas, como na cópia', ptFail: 'Tabela {table} ({item}): {actual} linhas, a cópia tem {expected}', en: 'Table {table} ({item}): {actual} rows, as in the set', enFail: 'Table {table} ({item}): {actual} rows, the set has {expected}' },
  'validate.tableMissing': { pt: 'Tabela {table} ({item}) presente', ptFail: 'Tabela {table} ({item}) não existe no destino (a cópia tem {expected} linhas)', en: 'Table {table} ({item}) present', enFail: 'Table {table} ({item}) missing on the target (the set has {expected} rows)' },
  'validate.tableExtra': { pt: 'Tabela {table} ({item})', ptFail: 'Tabela {table} ({item}) a mais no destino, com {actual} linhas, que não está na cópia', en: 'Table {table} ({item})', enFail: 'Extra table {table} ({item}) on the target, {actual} rows, not in the set' },
  'validate.fileEntries': { pt: 'Arquivos e pastas de {item}: {actual}, como na cópia', ptFail: 'Arquivos e pastas de {item}: {actual}, a cópia tem {expected}', en: 'File entries of {item}: {actual}, as in the set', enFail: 'File entries of {item}: {actual}, the set has {expected}' },
  'validate.fileBytes': { pt: 'Bytes dos arquivos de {item}: {actual}, como na cópia', ptFail: 'Bytes dos arquivos de {item}: {actual}, a cópia tem {expected}', en: 'File bytes of {item}: {actual}, as in the set', enFail: 'File bytes of {item}: {actual}, the set has {expected}' },
  'validate.unreadable': { pt: '{item} legível no destino', ptFail: '{item} não pôde ser lido no destino', en: '{item} readable on the target', enFail: '{item} could not be read on the target' },
  'validate.targetCheck': { pt: 'Verificação "{name}" do destino passou', ptFail: 'Verificação "{name}" do destino falhou', en: 'Target check "{name}" passed', enFail: 'Target check "{name}" failed' },

  // ── run log events ─────────────────────────────────────────────────────────
  'log.backup.set': { pt: 'Cópia {setId} iniciada para {storage}', en: 'Set {setId} started to {storage}' },
  'log.backup.dumping': { pt: '{source}: copiando {part}', en: '{source}: dumping {part}' },
  'log.backup.stored': { pt: '{source}: {objects} objeto(s), {bytes} gravados', en: '{source}: {objects} object(s), {bytes} stored' },
  'log.backup.warning': { pt: '{source}: aviso da ferramenta de cópia', en: '{source}: warning from the dump tool' },
  'log.backup.complete': { pt: 'Cópia {setId} completa', en: 'Set {setId} complete' },
  'log.backup.geo': { pt: 'Aviso: o armazenamento não está separado geograficamente do servidor', en: 'Warning: the storage is not geo-separated from the server' },
  'log.backup.cleaned': { pt: 'Objetos da cópia incompleta {setId} removidos', en: 'Objects of the incomplete set {setId} removed' },
  'log.backup.cleanFailed': { pt: 'Não foi possível remover a cópia incompleta {setId} (ela nunca é usada; a limpeza remove depois)', en: 'Could not remove the incomplete set {setId} (never used; prune removes it later)' },
  'log.restore.phase': { pt: 'Etapa {phase} iniciada', en: 'Phase {phase} started' },
  'log.restore.set': { pt: 'Cópia {setId} do armazenamento {storage} → destino {target}', en: 'Set {setId} from storage {storage} → target {target}' },
  'log.restore.projection': { pt: 'Estimativa: {projected} para {bytes}', en: 'Projection: {projected} for {bytes}' },
  'log.restore.projectionOver': { pt: 'Estimativa: {projected} para {bytes} — passa do limite de 4 h', en: 'Projection: {projected} for {bytes} — over the 4 h limit' },
  'log.restore.item': { pt: 'Restaurando {item} ({bytes}) em {destination}', en: 'Restoring {item} ({bytes}) into {destination}' },
  'log.restore.renamed': { pt: '{destination} existente renomeado para {aside}', en: 'Existing {destination} renamed to {aside}' },
  'log.restore.safety': { pt: 'Cópia de segurança do destino', en: 'Safety dump of the target' },
  'log.restore.waiting': { pt: 'Aguardando outra execução no destino terminar', en: 'Waiting for another run on the target to finish' },
  'log.restore.succeeded': { pt: '{restoreId} concluída; RTO {rto}', en: '{restoreId} succeeded; RTO {rto}' },
  'log.restore.failed': { pt: '{restoreId} falhou; RTO {rto}', en: '{restoreId} failed; RTO {rto}' },
  // ── gc ───────────────────────────────────────────────────────────────
  'gc.summary': { pt: 'Pacotes sem uso: {deleted} apagado(s), {bytes} liberado(s); {pending} aguardando (o primeiro pode ser apagado após {after})', en: 'Unused packs: {deleted} deleted, {bytes} freed; {pending} waiting (the first may go after {after})' },
  'gc.blockedBySet': { pt: 'Nenhum pacote foi apagado em {storage}: a cópia {setId} está duvidosa e as referências dela são desconhecidas', en: 'No pack was deleted on {storage}: set {setId} is doubtful and its references are unknown', ptDo: 'Confira a cópia {setId} (cofre verify); se ela não tiver conserto, remova-a com "cofre forget {setId}".', enDo: 'Check set {setId} (cofre verify); if it cannot be repaired, remove it with "cofre forget {setId}".' },
  'gc.blockedStorage': { pt: 'Nenhum pacote foi apagado em {storage}: não foi possível ler a lista de pacotes ou o registro de coleta', en: 'No pack was deleted on {storage}: the pack listing or the collection record could not be read', ptDo: 'Confira se o armazenamento {storage} responde; a próxima limpeza tenta de novo.', enDo: 'Check that storage {storage} answers; the next prune tries again.' },
  'gc.blockedByLease': { pt: 'Nenhum pacote foi apagado em {storage}: a cópia {setId} está em andamento', en: 'No pack was deleted on {storage}: backup {setId} is running', ptDo: 'Nada a fazer: a próxima limpeza apaga os pacotes sem uso.', enDo: 'Nothing to do: the next prune deletes the unused packs.' },
  'gc.pendingUnreadable': { pt: 'A cópia parou: o registro de coleta de pacotes em {storage} não pôde ser lido', en: 'The backup stopped: the pack collection record on {storage} could not be read', ptDo: 'Confira se o armazenamento {storage} responde e execute a cópia de novo.', enDo: 'Check that storage {storage} answers and run the backup again.' },
  'gc.leaseTooOld': { pt: 'A cópia {setId} demorou mais de {hours} h e não foi gravada: pacotes reaproveitados podem ter sido apagados pela limpeza', en: 'Backup {setId} ran longer than {hours} h and was not written: packs it reuses may have been collected', ptDo: 'Execute a cópia de novo; se for sempre lenta assim, aumente a banda ou divida o plano.', enDo: 'Run the backup again; if it is always this slow, raise the bandwidth or split the plan.' },
  // (end of gc)
  // ── restore2 ───────────────────────────────────────────────────────────────
  'restore2.pathNotInSet': { pt: 'O caminho {path} não está na cópia {setId}', en: 'Path {path} is not in set {setId}', ptDo: 'Veja o que a cópia guarda com: cofre files {setId} --path {near}', enDo: 'See what the set holds with: cofre files {setId} --path {near}' },
  'restore2.pathsInSet': { pt: 'Os caminhos pedidos estão na cópia', ptFail: 'Caminho {path} não está na cópia {setId}', en: 'The asked paths are in the set', enFail: 'Path {path} is not in set {setId}', ptDo: 'Veja o que a cópia guarda com: cofre files {setId} --path {near}', enDo: 'See what the set holds with: cofre files {setId} --path {near}' },
  'restore2.tableName': { pt: '"{table}" não é um nome de tabela no formato esquema.tabela', en: '"{table}" is not a table name as schema.table', ptDo: 'Use o esquema e a tabela, por exemplo public.pacientes.', enDo: 'Give the schema and the table, e.g. public.pacientes.' },
  'restore2.tableNotInDump': { pt: 'A tabela {table} não está no dump do PostgreSQL da cópia {setId}', en: 'Table {table} is not in the PostgreSQL dump of set {setId}', ptDo: 'Use um dos nomes listados no detalhe técnico (esquema.tabela).', enDo: 'Use one of the names listed in the technical detail (schema.table).' },
  'restore2.tableNeedsPostgres': { pt: 'A cópia {setId} não tem dump do PostgreSQL: a restauração de uma tabela só existe para PostgreSQL', en: 'Set {setId} has no PostgreSQL dump: single-table restore exists for PostgreSQL only', ptDo: 'Para MySQL, restaure o banco inteiro em homologação e copie a tabela de lá.', enDo: 'For MySQL, restore the whole database into staging and copy the table from there.' },
  'restore2.tableProduction': { pt: 'Uma tabela só é restaurada em homologação; {target} é produção', en: 'A single table is restored into staging only; {target} is production', ptDo: 'Restaure a tabela num destino de homologação e copie de lá as linhas necessárias.', enDo: 'Restore the table into a staging target and copy the rows you need from there.' },
  'restore2.tableWithPath': { pt: 'Restaure tabelas (--table) e caminhos (--path) em execuções separadas', en: 'Restore tables (--table) and paths (--path) in separate runs', ptDo: 'Execute uma restauração com --table e outra com --path.', enDo: 'Run one restore with --table and another with --path.' },
  'restore2.rootReplace': { pt: 'A cópia guarda a raiz / inteira: a restauração em produção não a substitui', en: 'The set holds the whole root /: a production restore does not replace it', ptDo: 'Restaure pastas escolhidas com --path.', enDo: 'Restore chosen folders with --path.' },
  'log.restore2.replaced': { pt: 'Caminhos substituídos pela cópia: {count}', en: 'Paths replaced from the set: {count}' },
  // (end of restore2)
  // ── staging ───────────────────────────────────────────────────────────────
  'staging.config.names': { pt: 'Valor inválido em {file}, no item {path}: use original (os nomes de produção; o que já existir é movido para o lado) ou side-by-side (o padrão: <banco>_restore_<hex>); um destino de produção usa sempre os nomes originais', en: 'Invalid value in {file} at {path}: use original (the production names; what exists is moved aside) or side-by-side (the default: <db>_restore_<hex>); a production target always uses the original names', ptDo: 'Corrija {path} no cofre.yaml e tente de novo.', enDo: 'Fix {path} in cofre.yaml and try again.' },
  'staging.check.notProduction': { pt: 'O {service} do destino não é o da origem {source} (produção)', ptFail: 'O {service} do destino é o mesmo da origem {source}: seria restaurar em produção', en: "The target's {service} is not source {source}'s (production)", enFail: "The target's {service} is source {source}'s own: that would be restoring into production", ptDo: 'Aponte o destino para o servidor de homologação, ou use names: side-by-side (restaura ao lado, com outros nomes). Nada foi alterado.', enDo: 'Point the target at the staging server, or use names: side-by-side (restores beside, under other names). Nothing was changed.' },
  'staging.check.notProductionByAddress': { pt: 'O {service} do destino não tem o endereço da origem {source} (a origem não respondeu; comparado só pelo endereço)', ptFail: 'O {service} do destino tem o endereço da origem {source}: pode ser produção', en: "The target's {service} does not have source {source}'s address (the source did not answer; compared by address only)", enFail: "The target's {service} has source {source}'s address: it may be production", ptDo: 'Aponte o destino para o servidor de homologação, ou use names: side-by-side.', enDo: 'Point the target at the staging server, or use names: side-by-side.' },
  'staging.check.aside': { pt: 'Destino {destination} (nome de produção): já existe e será movido para {aside}, sem apagar nada', ptFail: 'Destino {destination}: não foi possível preparar a troca de nomes', en: 'Destination {destination} (production name): exists, moved aside to {aside}; nothing is deleted', enFail: 'Destination {destination}: the move aside could not be prepared' },
  'staging.check.new': { pt: 'Destino {destination} (nome de produção): ainda não existe, será criado', ptFail: 'Destino {destination}', en: 'Destination {destination} (production name): does not exist yet, it is created', enFail: 'Destination {destination}' },
  'staging.pathsUnknown': { pt: 'Não se sabe quais pastas a origem {source} restaura: nada é movido por suposição', en: 'The folders source {source} restores are not known: nothing is moved on a guess', ptDo: 'Restaure com names: side-by-side, ou cadastre a origem de novo no cofre.yaml.', enDo: 'Restore with names: side-by-side, or add the source back to cofre.yaml.' },
  'staging.asideDiffers': { pt: 'A cópia {aside} não ficou igual a {database}: {database} não foi apagado e nada foi restaurado', en: 'The copy {aside} differs from {database}: {database} was not dropped and nothing was restored', ptDo: 'Pare a aplicação de homologação (ela pode estar gravando em {database}), apague {aside} e restaure de novo.', enDo: 'Stop the staging application (it may be writing to {database}), drop {aside} and restore again.' },
  'staging.log.terminating': { pt: 'Encerrando as conexões ao banco {database} para renomeá-lo (a aplicação de homologação perde a conexão)', en: 'Terminating the connections to database {database} to rename it (the staging application loses them)' },
  'staging.log.myCopy': { pt: 'O MySQL/MariaDB não renomeia bancos: copiando {database} para {aside}, conferindo a cópia e só então apagando {database}', en: 'MySQL/MariaDB cannot rename databases: copying {database} into {aside}, checking the copy, only then dropping {database}' },
  'staging.log.aside': { pt: '{destination} existente movido para {aside} (mantido; nada foi apagado)', en: 'Existing {destination} moved aside to {aside} (kept; nothing was deleted)' },
  'staging.log.names': { pt: 'Nomes de produção no destino de homologação {target}: o que existir é movido para o lado com o sufixo _antes_{stamp}', en: 'Production names on staging target {target}: what exists is moved aside with the suffix _antes_{stamp}' },
  // (end of staging)
  // ── files2 ───────────────────────────────────────────────────────────────
  'log.files2.fullReadFirst': { pt: '{source}: sem listagem anterior neste armazenamento — todos os arquivos são lidos', en: '{source}: no earlier listing on this storage — every file is read' },
  'log.files2.fullReadNever': { pt: '{source}: releitura completa — todos os arquivos são lidos e conferidos de novo (nenhuma registrada ainda; a cada {every})', en: '{source}: full re-read — every file is read and hashed again (none recorded yet; every {every})' },
  'log.files2.fullReadDue': { pt: '{source}: releitura completa — todos os arquivos são lidos e conferidos de novo (a última foi em {last}, há mais de {every})', en: '{source}: full re-read — every file is read and hashed again (the last was {last}, more than {every} ago)' },
  'log.files2.rebuilt': { pt: 'Estado de deduplicação refeito a partir do armazenamento: {contents} conteúdo(s) em {packs} pacote(s); os arquivos são lidos de novo, mas o que já está guardado não é reenviado', en: 'Dedup state rebuilt from storage: {contents} content(s) in {packs} pack(s); files are read again, but what storage holds is not uploaded again' },
  'log.files2.foreignIds': { pt: '{count} lista(s) de conteúdo no armazenamento foram seladas com outra chave de conteúdo: esse conteúdo é enviado de novo', en: '{count} content list(s) in storage were sealed with another content key: that content is uploaded again', ptDo: 'Se a chave content-key deste computador foi perdida, restaure a cópia guardada junto da identidade; senão, nada a fazer (só custa um reenvio).', enDo: 'If this host\'s content-key was lost, restore the copy kept with the identity; otherwise nothing to do (it only costs one re-upload).' },
  'log.files2.unreadableIds': { pt: '{count} lista(s) de conteúdo não puderam ser lidas do armazenamento: esse conteúdo é enviado de novo', en: '{count} content list(s) could not be read from storage: that content is uploaded again' },
  // (end of files2)
  // ── bandwidth ───────────────────────────────────────────────────────────────
  'config.bandwidth': { pt: 'Limite de banda inválido em {file}, no item {path}', en: 'Invalid bandwidth limit in {file} at {path}', ptDo: 'Use uma taxa como "20MiB/s", "5 MB/s", "500KiB/s" ou "50Mbit/s" (ou "50Mbps"), ou { limit: 20MiB/s, window: "07:00-19:00" } para limitar só nesse horário (fuso do plano).', enDo: 'Use a rate such as "20MiB/s", "5 MB/s", "500KiB/s" or "50Mbit/s" (or "50Mbps"), or { limit: 20MiB/s, window: "07:00-19:00" } to limit only in those hours (the plan\'s time zone).' },
  'log.backup.bandwidth': { pt: 'Banda limitada a {rate} (leitura SSH e envio)', en: 'Bandwidth limited to {rate} (SSH read and upload)' },
  'log.backup.bandwidthWindow': { pt: 'Banda limitada a {rate} das {window} ({zone}); fora desse horário, sem limite', en: 'Bandwidth limited to {rate} during {window} ({zone}); unlimited outside it' },
  'log.backup.noZstd': { pt: '{source}: zstd não está instalado no servidor; os dumps vão sem compressão', en: '{source}: zstd is not installed on the server; the dumps are stored uncompressed', ptDo: 'Instale zstd no servidor (apt install zstd) para cópias menores.', enDo: 'Install zstd on the server (apt install zstd) for smaller sets.' },
  'source.zstdMissing': { pt: 'O zstd não está instalado no servidor {server}, e a origem MySQL pede compress: true', en: 'zstd is not installed on server {server}, and the MySQL source asks for compress: true', ptDo: 'Instale zstd no servidor (apt install zstd) ou tire compress: true da origem.', enDo: 'Install zstd on the server (apt install zstd) or remove compress: true from the source.' },
  'check.zstd': { pt: 'zstd instalado no destino', ptFail: 'zstd não está instalado no destino', en: 'zstd installed on the target', enFail: 'zstd is not installed on the target', ptDo: 'Instale zstd no destino (apt install zstd): a cópia tem objetos comprimidos.', enDo: 'Install zstd on the target (apt install zstd): the set has compressed objects.' },
  // (end of bandwidth)
  // ── browser ───────────────────────────────────────────────────────────────
  'browser.pathNotInSet': { pt: '{path} não está nesta cópia', en: '{path} is not in this set', ptDo: 'Escolha o caminho no navegador de arquivos da cópia.', enDo: "Choose the path in the set's file browser." },
  'browser.specialFile': { pt: '{path} é um arquivo especial (socket, dispositivo ou fifo): aparece na lista, mas não é salvo', en: '{path} is a special file (socket, device or fifo): listed, never saved' },
  'browser.zstdMissing': { pt: 'O zstd não está instalado neste computador; ele é necessário para salvar arquivos de pacotes comprimidos', en: 'zstd is not installed on this computer; it is needed to save files from compressed packs', ptDo: 'Instale o zstd (apt install zstd) ou restaure num destino.', enDo: 'Install zstd (apt install zstd) or restore to a target instead.' },
  'browser.downloadGone': { pt: 'Este link de download já foi usado ou expirou', en: 'This download link was used already or has expired', ptDo: 'Clique de novo em "Salvar no computador" no console.', enDo: 'Click "Save to this computer" in the console again.' },
  'browser.noIndex': { pt: 'A cópia {setId} é do formato antigo: um arquivo único por origem, sem índice de arquivos', en: 'Set {setId} is in the old format: one archive per source, without a file index', ptDo: 'Restaure a cópia inteira num destino.', enDo: 'Restore the whole set to a target.' },
  // (end of browser)
  // ── repack ───────────────────────────────────────────────────────────────
  'repack.blockedBySet': { pt: 'O conjunto {setId} em {storage} está duvidoso: a reorganização de pacotes não mudou nada', en: 'Set {setId} on {storage} is doubtful: repack changed nothing', ptDo: 'Verifique o conjunto; se ele estiver perdido, "cofre forget {setId}" o remove.', enDo: 'Check the set; if it is lost, "cofre forget {setId}" clears it.' },
  'repack.busy': { pt: 'Um backup está em andamento em {storage}: a reorganização de pacotes não mudou nada', en: 'A backup is running on {storage}: repack changed nothing', ptDo: 'Rode "cofre repack" de novo quando o backup terminar.', enDo: 'Run "cofre repack" again once the backup has finished.' },
  'repack.objectLock': { pt: 'O armazenamento {storage} usa Object Lock: a reorganização de pacotes substituiria manifestos travados, então não mudou nada', en: 'Storage {storage} uses Object Lock: repack would replace locked manifests, so it changed nothing', ptDo: 'Os pacotes sem uso ainda são apagados pela limpeza quando a trava vence.', enDo: 'Unused packs are still deleted by prune once their lock ends.' },
  // (end of repack)
  // ── objlock ───────────────────────────────────────────────────────────────
  'objlock.bucketNotLocked': { pt: 'O armazenamento {storage} pede Object Lock, mas o bucket {bucket} não tem Object Lock ativado', en: 'Storage {storage} asks for Object Lock but bucket {bucket} does not have it enabled', ptDo: 'O Object Lock só pode ser ativado na criação do bucket: crie um bucket novo com Object Lock e aponte o armazenamento para ele, ou retire objectLock da configuração. Nada foi copiado.', enDo: 'Object Lock can only be turned on when a bucket is created: create a new bucket with it and point the storage there, or remove objectLock from the config. Nothing was backed up.' },
  'objlock.retainFailed': { pt: 'O armazenamento {storage} não aceitou estender a retenção (Object Lock) de um objeto do conjunto', en: 'Storage {storage} did not accept extending the Object Lock retention of an object of the set', ptDo: 'Dê às credenciais as permissões s3:PutObjectRetention e s3:GetObjectRetention no bucket e execute o backup de novo. O conjunto não foi gravado.', enDo: 'Give the credentials s3:PutObjectRetention and s3:GetObjectRetention on the bucket and run the backup again. The set was not written.' },
  'objlock.stillLocked': { pt: 'Objetos do armazenamento {storage} seguem protegidos por Object Lock até {until}', en: 'Objects on storage {storage} stay protected by Object Lock until {until}', ptDo: 'Nada a fazer: uma limpeza (prune) depois dessa data os apaga.', enDo: 'Nothing to do: a prune after that date deletes them.' },
  'objlock.packsRetained': { pt: '{count} pacote(s) sem uso no armazenamento {storage} seguem protegidos por Object Lock (o primeiro até {until})', en: '{count} unused pack(s) on storage {storage} stay protected by Object Lock (the first until {until})', ptDo: 'Nada a fazer: uma limpeza depois dessa data os apaga.', enDo: 'Nothing to do: a prune after that date deletes them.' },
  'objlock.forgetLocked': { pt: 'A cópia {setId} em {storage} está protegida por Object Lock até {until}; nada foi apagado', en: 'Set {setId} on {storage} is under Object Lock until {until}; nothing was deleted', ptDo: 'Nada a fazer: depois dessa data ela pode ser apagada (a limpeza a apaga quando a retenção não a guardar mais).', enDo: 'Nothing to do: after that date it can be deleted (prune deletes it once retention no longer keeps it).' },
  'objlock.check': { pt: 'Conjunto protegido por Object Lock', en: 'Set protected by Object Lock', ptFail: 'Conjunto sem a proteção de Object Lock que deveria ter', enFail: 'Set lacks the Object Lock protection it should have' },
  'log.objlock.retained': { pt: 'Conjunto {setId}: {objects} objeto(s) protegidos por Object Lock ({mode}) até {until}', en: 'Set {setId}: {objects} object(s) protected by Object Lock ({mode}) until {until}' },
  // (end of objlock)
  // ── hygiene ───────────────────────────────────────────────────────────────
  'backup.writeTimeout': { pt: 'O armazenamento {storage} não respondeu em {seconds} s ao gravar o fim da cópia; a cópia não foi gravada', en: 'Storage {storage} did not answer within {seconds} s writing the end of the backup; the set was not written', ptDo: 'Confira se o armazenamento {storage} responde (rede, disco) e execute a cópia de novo.', enDo: 'Check that storage {storage} answers (network, disk) and run the backup again.' },
  // (end of hygiene)
  // ── hygiene2 ───────────────────────────────────────────────────────────────
  'gc.blockedNoManifest': { pt: 'Nenhum pacote foi apagado em {storage}: a cópia {setId} foi listada sem o manifesto, então não se sabe quais pacotes ela usa', en: 'No pack was deleted on {storage}: set {setId} was listed without its manifest, so the packs it uses are unknown', ptDo: 'Nada a apagar por enquanto: a próxima limpeza lista de novo. Se o aviso voltar, confira a cópia com "cofre verify {setId}".', enDo: 'Nothing to delete for now: the next prune lists again. If this comes back, check the set with "cofre verify {setId}".' },
  'gc.blockerForgotten': { pt: 'A cópia {setId}, que impedia a limpeza de pacotes em {storage}, foi removida (cofre forget) em {when}', en: 'Set {setId}, which blocked the pack cleanup on {storage}, was forgotten (cofre forget) at {when}', ptDo: 'Nada a fazer: a próxima limpeza apaga os pacotes sem uso.', enDo: 'Nothing to do: the next prune deletes the unused packs.' },
  'check.gnuTar': { pt: 'GNU tar instalado no destino', ptFail: 'O tar do destino não é o GNU tar', en: 'GNU tar installed on the target', enFail: 'The target\'s tar is not GNU tar', ptDo: 'Instale o GNU tar no destino (Debian/Ubuntu: apt install tar; Alpine: apk add tar) e restaure de novo: a restauração de arquivos usa recursos dele (cabeçalhos pax, -P).', enDo: 'Install GNU tar on the target (Debian/Ubuntu: apt install tar; Alpine: apk add tar) and restore again: restoring files uses its features (pax headers, -P).' },
  // (end of hygiene2)
  // ── drill ───────────────────────────────────────────────────────────────
  'drill.validate.definitions': { pt: 'Visões, gatilhos, rotinas e eventos de {database} usam só o banco restaurado', ptFail: '{database}: {objects} ainda apontam para o banco de produção {original}', en: 'Views, triggers, routines and events of {database} use only the restored database', enFail: '{database}: {objects} still point at the production database {original}' },
  'drill.log.myRewrite': { pt: '{database}: {replaced} referência(s) ao banco {original} em visões, gatilhos, rotinas ou eventos agora apontam para {database}; {definers} cláusula(s) DEFINER removida(s) (os objetos ficam definidos pelo usuário da restauração)', en: '{database}: {replaced} reference(s) to the database {original} in views, triggers, routines or events now name {database}; {definers} DEFINER clause(s) removed (the objects are defined by the restoring user)' },
  'drill.check.pgOwner': { pt: 'Os bancos restaurados pertencerão ao papel {role} (o da aplicação)', ptFail: 'O papel {role} não existe no destino, ou {user} não pode agir como ele', en: 'The restored databases will belong to the role {role} (the application\'s)', enFail: 'The role {role} does not exist on the target, or {user} cannot act as it', ptDo: 'Crie o papel no PostgreSQL de homologação (CREATE ROLE {role} LOGIN) ou corrija postgres.owner no destino.', enDo: 'Create the role on the staging PostgreSQL (CREATE ROLE {role} LOGIN) or fix postgres.owner in the target.' },
  'drill.kept.unknown': { pt: '{name} não é uma cópia guardada por uma restauração registrada aqui: nada foi removido', en: '{name} is not a copy kept by a restore recorded here: nothing was removed', ptDo: 'Veja a lista com cofre kept; uma cópia feita em outra estação, ou um nome só parecido, se remove à mão.', enDo: 'List them with cofre kept; a copy made from another workstation, or a name that only looks like one, is removed by hand.' },
  'drill.kept.severalTargets': { pt: '{name} é uma cópia guardada em vários destinos ({targets})', en: '{name} is a kept copy on several targets ({targets})', ptDo: 'Escolha um com --target.', enDo: 'Choose one with --target.' },
  'drill.kept.gone': { pt: '{name} não existe mais no destino {target}: nada a remover', en: '{name} is no longer on target {target}: nothing to remove', ptDo: 'Veja a lista com cofre kept.', enDo: 'List them with cofre kept.' },
  'drill.kept.newest': { pt: '{name} é a cópia mais recente de {of} (o único caminho de volta da última restauração): recusado, nada foi removido', en: '{name} is the newest copy of {of} (the only way back from the last restore): refused, nothing was removed', ptDo: 'Confira antes os dados restaurados; depois remova com --force.', enDo: 'Check the restored data first; then remove it with --force.' },
  'drill.kept.confirm': { pt: 'Remover {name} de {target} não pode ser desfeito', en: 'Removing {name} from {target} cannot be undone', ptDo: 'Confirme com --yes.', enDo: 'Confirm with --yes.' },
  // (end of drill)
  // ── kept copies (console) ───────────────────────────────────────────────────────────────
  // the console's Restaurar → Cópias guardadas (src-renderer/src/components/kept-copies.tsx) and the restore's last step
  'kept.title': { pt: 'Cópias guardadas pelas restaurações', en: 'Copies kept by restores' },
  'kept.intro': { pt: 'Cada restauração que substituiu dados deixou no destino um caminho de volta: a pasta de segurança (produção) ou o banco ou pasta anterior renomeado com _antes_ ou _old_ (homologação). O Cofre nunca os apaga sozinho: remova cada um quando os dados restaurados estiverem conferidos.', en: 'Every restore that replaced data left a way back on the target: the safety folder (production) or the previous database or folder renamed with _antes_ or _old_ (staging). Cofre never deletes them by itself: remove each one once the restored data has been checked.' },
  'kept.loading': { pt: 'Consultando os destinos…', en: 'Looking at the targets…' },
  'kept.none': { pt: 'Nenhuma cópia guardada por restaurações registradas neste computador.', en: 'No copies kept by restores recorded on this computer.' },
  'kept.unreachable': { pt: 'O destino {target} não pôde ser consultado agora: as cópias guardadas nele não aparecem na lista', en: 'Target {target} could not be looked at now: the copies kept on it are not listed' },
  'kept.col.target': { pt: 'Destino', en: 'Target' },
  'kept.col.copy': { pt: 'Cópia', en: 'Copy' },
  'kept.col.size': { pt: 'Tamanho', en: 'Size' },
  'kept.col.made': { pt: 'Feita em ({tz})', en: 'Made at ({tz})' },
  'kept.col.restore': { pt: 'Restauração', en: 'Restore' },
  'kept.col.state': { pt: 'Situação', en: 'State' },
  'kept.col.actions': { pt: 'Ações', en: 'Actions' },
  'kept.kind.safety': { pt: 'Pasta de segurança', en: 'Safety folder' },
  'kept.kind.postgres': { pt: 'Banco PostgreSQL', en: 'PostgreSQL database' },
  'kept.kind.mysql': { pt: 'Banco MySQL/MariaDB', en: 'MySQL/MariaDB database' },
  'kept.kind.folder': { pt: 'Pasta', en: 'Folder' },
  'kept.copyOf': { pt: 'cópia de {of}', en: 'copy of {of}' },
  'kept.safetyOf': { pt: 'dados de {of} antes da restauração', en: 'data of {of} before the restore' },
  'kept.sizeUnknown': { pt: 'desconhecido', en: 'unknown' },
  'kept.newest': { pt: 'Mais recente', en: 'Newest' },
  'kept.newestWhy': { pt: 'o único caminho de volta da última restauração', en: 'the only way back from the last restore' },
  'kept.older': { pt: 'Anterior', en: 'Older' },
  'kept.fromRestore': { pt: 'nº {run}, do backup {setId}', en: '#{run}, of set {setId}' },
  'kept.remove': { pt: 'Remover…', en: 'Remove…' },
  'kept.removeLabel': { pt: 'Remover {name} de {target}', en: 'Remove {name} from {target}' },
  'kept.confirmTitle': { pt: 'Remover esta cópia guardada?', en: 'Remove this kept copy?' },
  'kept.confirmBody': { pt: 'A cópia {name} ({what}) será apagada do destino {target}. Isto não pode ser desfeito: depois disso, ela não serve mais de caminho de volta.', en: 'The copy {name} ({what}) will be deleted from target {target}. This cannot be undone: afterwards it is no longer a way back.' },
  'kept.confirmFacts': { pt: 'É {of}, guardada pela restauração de {when}.', en: 'It is the {of}, kept by the restore of {when}.' },
  'kept.newestWarn': { pt: 'Esta é a cópia mais recente de {of}: o único caminho de volta da última restauração. Confira antes os dados restaurados.', en: 'This is the newest copy of {of}: the only way back from the last restore. Check the restored data first.' },
  'kept.newestConfirm': { pt: 'Conferi os dados restaurados: remover mesmo assim a cópia mais recente', en: 'I checked the restored data: remove the newest copy anyway' },
  'kept.confirmRemove': { pt: 'Remover definitivamente', en: 'Remove permanently' },
  'kept.removed': { pt: '{name} foi removida do destino {target}.', en: '{name} was removed from target {target}.' },
  'kept.goneDo': { pt: 'A lista foi atualizada: a cópia já não está no destino.', en: 'The list was refreshed: the copy is no longer on the target.' },
  'kept.unknownDo': { pt: 'Aqui só se removem cópias feitas por restaurações registradas neste computador; uma cópia feita em outra estação se remove à mão no destino.', en: 'Only copies made by restores recorded on this computer are removed here; a copy made from another workstation is removed by hand on the target.' },
  'kept.newestDo': { pt: 'A lista foi atualizada: esta passou a ser a cópia mais recente. Confira os dados restaurados e remova de novo, confirmando a cópia mais recente.', en: 'The list was refreshed: this is now the newest copy. Check the restored data and remove it again, confirming the newest copy.' },
  'kept.afterRestore': { pt: 'Esta restauração guardou no destino {target} {count} cópia(s) do que substituiu; elas ficam lá até alguém removê-las', en: 'This restore kept {count} copy(ies) of what it replaced on target {target}; they stay there until someone removes them' },
  'kept.afterRestoreLink': { pt: 'Ver cópias guardadas', en: 'See kept copies' },
  // (end of kept copies)
  // ── misc ───────────────────────────────────────────────────────────────
  'mysqlRename.usage': { pt: 'mysql-rename precisa de --from (o nome do banco no dump) e --to (o nome sob o qual ele é restaurado), diferentes, com 1 a 64 caracteres', en: 'mysql-rename needs --from (the database name in the dump) and --to (the name it is restored under), different, 1 to 64 characters each', ptDo: 'Exemplo: … | zstd -d | cofre mysql-rename --from clinica --to clinica_homolog | mysql clinica_homolog', enDo: 'E.g. … | zstd -d | cofre mysql-rename --from clinica --to clinica_homolog | mysql clinica_homolog' },
  'mysqlRename.stdin': { pt: 'mysql-rename lê o dump da entrada padrão, e ela é o terminal', en: 'mysql-rename reads the dump on stdin, and stdin is a terminal', ptDo: 'Encadeie o dump decifrado: age -d … | zstd -d | cofre mysql-rename --from A --to B | mysql B', enDo: 'Pipe the decrypted dump into it: age -d … | zstd -d | cofre mysql-rename --from A --to B | mysql B' },
  'mysqlRename.json': { pt: 'mysql-rename escreve o dump renomeado na saída padrão: --json não se aplica', en: 'mysql-rename writes the renamed dump on stdout: --json does not apply', ptDo: 'Rode sem --json (o que foi reescrito sai na saída de erros).', enDo: 'Run it without --json (what it rewrote goes to stderr).' },
  // (end of misc)
  // ── incwall3 ───────────────────────────────────────────────────────────────
  // (end of incwall3)
  // ── bigpack ───────────────────────────────────────────────────────────────
  // (end of bigpack)
  // ── docs ───────────────────────────────────────────────────────────────
  // (end of docs)
  // ── uxqa ───────────────────────────────────────────────────────────────
  // (end of uxqa)
  // ── hygiene4 ───────────────────────────────────────────────────────────────
  // (end of hygiene4)
} as const satisfies Record<string, MessageEntry | CheckEntry>;

export type CatalogKey = keyof typeof CATALOG;
export type MessageParams = Record<string, string | number>;

/** A message by key, as it travels on errors, checks, validation results and log lines. */
export interface MessageRef {
  key: CatalogKey;
  params?: MessageParams;
}

/** `{ key, params }` for spreading into an error option bag, a check or a log call. */
export function said(key: CatalogKey, params?: MessageParams): MessageRef {
  return params === undefined ? { key } : { key, params };
}

export function isCatalogKey(key: string | undefined): key is CatalogKey {
  return key !== undefined && Object.prototype.hasOwnProperty.call(CATALOG, key);
}

export function isCheckEntry(e: MessageEntry | CheckEntry): e is CheckEntry {
  return 'ptFail' in e;
}

function fill(text: string, params: MessageParams | undefined): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The catalog's text for a key in a language: what happened (ok or failed form) and what to do. */
export function catalogText(language: 'pt-BR' | 'en', key: CatalogKey, params?: MessageParams, failed = false): { text: string; action: string | undefined } {
  const e: MessageEntry | CheckEntry = CATALOG[key];
  const pt = language !== 'en';
  const base = failed && isCheckEntry(e) ? (pt ? e.ptFail : e.enFail) : pt ? e.pt : e.en;
  const todo = pt ? e.ptDo : e.enDo;
  return { text: fill(base, params), action: todo === undefined ? undefined : fill(todo, params) };
}
