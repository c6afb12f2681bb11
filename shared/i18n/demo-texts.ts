/**
 * Texts of the demo's MariaDB notices, its intro and the report page link (`cofre demo`).
 * Kept beside messages.ts (merged into it) so the tables stay small.
 */
export const demoTextsPtBR = {
  'demo.withMariadb': 'Demonstração: o Cofre copia os arquivos de exemplo da clínica e um banco MariaDB descartável desta máquina para uma pasta local. Use "Executar agora", restaure em Restaurar e faça um teste em Testes trimestrais.',
  'demo.withBoth': 'Demonstração: o Cofre copia os arquivos de exemplo da clínica, um banco PostgreSQL descartável e um banco MariaDB descartável desta máquina para uma pasta local. Use "Executar agora", restaure em Restaurar e faça um teste em Testes trimestrais.',
  'demo.notice.myMissing': 'O servidor MariaDB não está instalado nesta máquina: a demonstração segue sem o MariaDB (Debian: apt install mariadb-server mariadb-client).',
  'demo.notice.myRootNoUser': 'O Cofre roda como root, o MariaDB não aceita rodar como root e não existe o usuário "mysql": a demonstração segue sem o MariaDB.',
  'demo.notice.myFailed': 'O banco MariaDB da demonstração não iniciou: a demonstração segue sem o MariaDB.',
  'demo.notice.myPortInUse': 'A porta {port} já está em uso (outro MariaDB ou MySQL?): o MariaDB da demonstração usa a porta {chosen}.',
  'demo.notice.myLeftoverReused': 'Um MariaDB deixado por uma demonstração anterior (processo {pid}, porta {port}) foi encontrado e está sendo usado de novo.',
  'demo.notice.myLeftoverStopped': 'Um MariaDB deixado por uma demonstração anterior (processo {pid}) não respondia e foi parado; um novo foi iniciado.',
} as const;

export const demoTextsEn: Record<keyof typeof demoTextsPtBR, string> = {
  'demo.withMariadb': 'Demo: Cofre backs up the clinic\'s sample files and a throwaway MariaDB database of this machine into a local folder. Use "Run now", restore in Restore and run a drill in Quarterly drills.',
  'demo.withBoth': 'Demo: Cofre backs up the clinic\'s sample files, a throwaway PostgreSQL database and a throwaway MariaDB database of this machine into a local folder. Use "Run now", restore in Restore and run a drill in Quarterly drills.',
  'demo.notice.myMissing': 'The MariaDB server is not installed on this machine: the demo runs without MariaDB (Debian: apt install mariadb-server mariadb-client).',
  'demo.notice.myRootNoUser': 'Cofre runs as root, MariaDB refuses to run as root and there is no "mysql" user: the demo runs without MariaDB.',
  'demo.notice.myFailed': 'The demo MariaDB database did not start: the demo runs without MariaDB.',
  'demo.notice.myPortInUse': 'Port {port} is in use (another MariaDB or MySQL?): the demo MariaDB uses port {chosen}.',
  'demo.notice.myLeftoverReused': 'A MariaDB left by an earlier demo (process {pid}, port {port}) was found and is used again.',
  'demo.notice.myLeftoverStopped': 'A MariaDB left by an earlier demo (process {pid}) did not answer and was stopped; a fresh one was started.',
};
