/**
 * Small, fake, patient-free sample dumps for the demo: a pg_dumpall globals script, a
 * mysqldump-style SQL file and a tar of a few files (written as ustar by hand, so the demo
 * needs no external tool). Their formats pass `cofre verify --deep`.
 */
import { TarCounter } from '../sources/tar-counter.js';

export function globalsSql(day: string): Buffer {
  return Buffer.from(`--
-- PostgreSQL database cluster dump
--

-- Demo sample written ${day}; no real data.
SET default_transaction_read_only = off;
SET client_encoding = 'UTF8';
CREATE ROLE clinica_app;
ALTER ROLE clinica_app WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN;
CREATE ROLE relatorios;
ALTER ROLE relatorios WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN;

--
-- PostgreSQL database cluster dump complete
--
`);
}

export function mysqlDump(day: string, rows: number): { sql: Buffer; rowCounts: Record<string, number> } {
  const lines = [
    '-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)',
    '--',
    '-- Host: 127.0.0.1    Database: prontuarios',
    '-- ------------------------------------------------------',
    `-- Demo sample written ${day}; fictitious records only.`,
    '',
    'CREATE TABLE `agenda` (`id` int NOT NULL, `quando` date, PRIMARY KEY (`id`)) ENGINE=InnoDB;',
    'CREATE TABLE `prontuario` (`id` int NOT NULL AUTO_INCREMENT, `paciente` varchar(200), `texto` longtext, PRIMARY KEY (`id`)) ENGINE=InnoDB;',
  ];
  const agenda = 12;
  lines.push(`INSERT INTO \`agenda\` VALUES ${Array.from({ length: agenda }, (_, i) => `(${i + 1},'2026-0${(i % 9) + 1}-1${i % 10}')`).join(',')};`);
  const values: string[] = [];
  for (let i = 1; i <= rows; i++) values.push(`(${i},'Paciente exemplo ${i}','consulta de rotina ${i % 17}')`);
  lines.push(`INSERT INTO \`prontuario\` VALUES ${values.join(',')};`, '', `-- Dump completed on ${day} 02:00:41`, '');
  return { sql: Buffer.from(lines.join('\n')), rowCounts: { agenda, prontuario: rows } };
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(name: string, size: number, type: '0' | '5', mtime: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(1000, 8), 108, 'ascii');
  h.write(octal(1000, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('backup', 265, 'ascii');
  h.write('backup', 297, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A tar of a small "uploads" tree; returns the archive and what TarCounter counts in it. */
export async function uploadsTar(day: string, mtime: number): Promise<{ tar: Buffer; fileCount: number; fileBytes: number }> {
  const files: Array<[string, Buffer]> = [
    ['uploads/leia-me.txt', Buffer.from(`Arquivos de exemplo do Cofre (demo), cópia de ${day}.\n`)],
    ['uploads/exames 2026/raio-x-0001.txt', Buffer.from('imagem fictícia\n'.repeat(400))],
    ['uploads/exames 2026/laudo-0001.txt', Buffer.from('laudo fictício\n'.repeat(250))],
    ['uploads/contratos/modelo.txt', Buffer.from('modelo de contrato (exemplo)\n'.repeat(90))],
  ];
  const parts: Buffer[] = [];
  for (const dir of ['uploads/', 'uploads/exames 2026/', 'uploads/contratos/']) parts.push(tarHeader(dir, 0, '5', mtime));
  for (const [name, data] of files) {
    parts.push(tarHeader(name, data.length, '0', mtime), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  const counter = new TarCounter();
  await new Promise<void>((resolve, reject) => {
    counter.on('error', reject);
    counter.on('finish', () => resolve());
    counter.resume();
    counter.end(tar);
  });
  return { tar, fileCount: counter.counts.entries, fileBytes: counter.counts.fileBytes };
}
