/** The commented starter config written by `cofre init`. */
export interface StarterOptions {
  recipient: string;
  identityFile: string;
  storagePath: string;
  signingKeyFile: string;
  /** the signing key's public line (`ssh-ed25519 AAAA… comment`) */
  signer: string;
  /** the env var holding the identity's passphrase, when the identity file is passphrase-encrypted */
  identityPassphraseEnv?: string | undefined;
}

export function starterConfig(o: StarterOptions): string {
  return `# Cofre configuration — see DESIGN.md "Config contract".
# Secrets are never written here: the config names an environment variable or a 0600 file.
# After editing, run \`cofre trust clinica\` to pin the server's host key, then \`cofre backup\`.

servers:
  clinica:
    host: 203.0.113.10              # the clinic server (SSH only; nothing is installed there)
    port: 22
    user: backup
    privateKeyFile: ~/.ssh/id_ed25519
    # privateKeyPassphraseEnv: CLINICA_KEY_PASSPHRASE
    # hostKey is filled in by \`cofre trust clinica\`
    location: { provider: clinica, region: sala-servidores }

sources:
  banco:
    server: clinica
    type: postgres
    host: 127.0.0.1                 # database address as seen from the server
    port: 5432
    user: postgres
    # passwordEnv: CLINICA_PG_PASSWORD
    # databases: [clinica]          # omitted: every database, plus roles (globals)
  arquivos:
    server: clinica
    type: files
    paths: [/srv/clinica/uploads]
    exclude: ["*.tmp"]

storage:
  local:
    type: folder
    path: ${JSON.stringify(o.storagePath)}
    location: { provider: estacao, region: local }
  # nuvem:                          # another region or provider (RNF-BACK-001)
  #   type: s3
  #   region: us-east-2
  #   bucket: clinica-backups
  #   prefix: cofre
  #   accessKeyIdEnv: AWS_ACCESS_KEY_ID
  #   secretAccessKeyEnv: AWS_SECRET_ACCESS_KEY
  #   location: { provider: aws, region: us-east-2 }

encryption:
  recipients: ["${o.recipient}"]    # public keys: enough to back up
  identityFile: ${JSON.stringify(o.identityFile)}   # private key: restore and deep verify only; keep a copy offline
${o.identityPassphraseEnv ? `  identityPassphraseEnv: ${o.identityPassphraseEnv}   # the identity is passphrase-encrypted (age scrypt): export it to restore or deep verify
` : ''}  signingKeyFile: ${JSON.stringify(o.signingKeyFile)}   # OpenSSH ed25519 key that signs each set's manifest (backup hosts only; 0600)
  # signingKeyPassphraseEnv: COFRE_SIGNING_KEY_PASSPHRASE   # only if you protect the signing key with a passphrase
  signers:                          # public keys whose signatures make a set authentic; copy to every workstation
    - ${JSON.stringify(o.signer)}
  # To retire a signing key: add the new key's line here, keep the old line while its sets are
  # inside the retention window, then remove it. Keep these lines with the paper key.

plans:
  diario:
    sources: [banco, arquivos]
    storage: local                  # switch to an off-site storage for geo-separation
    schedule: "0 2 * * *"           # every day at 02:00
    timezone: America/Sao_Paulo
    retention: { keepDays: 30, keepMin: 7 }

# restoreTargets:
#   homologacao:
#     kind: staging                 # staging | production (production asks for typed confirmation)
#     server: clinica
#     postgres: { host: 127.0.0.1, port: 5432, user: postgres }
#     filesRoot: /srv/restore

# alerts:
#   email: { host: smtp.example.org, port: 587, from: cofre@example.org, to: [ti@example.org], user: cofre, passwordEnv: SMTP_PASSWORD }
#   webhook: { url: https://hooks.example.org/backup }
`;
}
