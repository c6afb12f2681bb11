/**
 * The demo clinic's files: a few small, generated, fictitious documents (PDFs, PNG images,
 * text) with the names a clinic really uses — accents, spaces, "nº", an emoji — and one
 * temporary file the plan excludes. No patient data: every name and text is made up.
 */
import { crc32, deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A one-page PDF showing `lines` (Helvetica), valid enough for any viewer. */
export function samplePdf(title: string, lines: string[]): Buffer {
  const esc = (s: string): string => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (c) => `\\${c}`);
  const text = [`BT /F1 18 Tf 56 780 Td (${esc(title)}) Tj ET`, ...lines.map((l, i) => `BT /F1 11 Tf 56 ${740 - i * 16} Td (${esc(l)}) Tj ET`)].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGB PNG of `w`×`h` drawn by `pixel(x, y)`. */
export function samplePng(w: number, h: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b] = pixel(x, y);
      const at = y * (w * 3 + 1) + 1 + x * 3;
      raw[at] = r;
      raw[at + 1] = g;
      raw[at + 2] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The files of the demo clinic, relative to its files folder. */
export function sampleFiles(): Array<[string, Buffer]> {
  const xray = samplePng(160, 200, (x, y) => {
    const v = Math.max(0, 200 - Math.hypot(x - 80, y - 90) * 2.2) | 0;
    return [v, v, Math.min(255, v + 10)];
  });
  const photo = samplePng(120, 80, (x, y) => [(x * 2) & 255, (y * 3) & 255, 180]);
  return [
    ['leia-me.txt', Buffer.from('Arquivos de exemplo da Clínica Demonstração (Cofre). Todos os nomes e textos são fictícios.\n')],
    ['exames 2026/raio-x tórax — José da Conceição.png', xray],
    ['exames 2026/laudo ultrassom nº 0042.pdf', samplePdf('Laudo de ultrassom n. 0042', ['Paciente: Jose da Conceicao (ficticio)', 'Exame: abdome total', 'Conclusao: sem alteracoes (exemplo).'])],
    ['prontuários/Ana Lúcia Ñúñez/ficha de anamnese.pdf', samplePdf('Ficha de anamnese', ['Paciente: Ana Lucia Nunez (ficticia)', 'Alergias: dipirona', 'Observacoes: texto de exemplo.'])],
    ['prontuários/Zoë 🩺/receita.pdf', samplePdf('Receita', ['Paciente: Zoe (ficticia)', 'Uso oral: exemplo 500 mg, 8/8 h por 5 dias.'])],
    ['fotos/sorriso antes-depois.png', photo],
    ['contratos/modelo de contrato.txt', Buffer.from('Modelo de contrato de prestação de serviços (exemplo).\n'.repeat(40))],
    ['cache/miniaturas.tmp', Buffer.from('arquivo temporário: fica fora da cópia (exclude *.tmp)\n')],
  ];
}

/** Writes the sample files under `root`; returns how many. */
export function writeSampleFiles(root: string): number {
  const files = sampleFiles();
  for (const [rel, data] of files) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
  return files.length;
}
