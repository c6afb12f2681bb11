/** A cofre.yaml with one server, one PostgreSQL source, one folder storage and one plan `diario`, for tests that never connect. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '../../src-main/crypto/age.js';

/** Writes `dir/cofre.yaml`; `planLines` are the plan's extra YAML lines (schedule, timezone, retries), indented by 4. */
export function writeOnePlanConfig(dir: string, planLines: string[]): string {
  const configPath = join(dir, 'cofre.yaml');
  writeFileSync(
    configPath,
    `servers:
  clinica: { host: 127.0.0.1, user: backup, privateKeyFile: ${join(dir, 'key')} }
sources:
  banco: { server: clinica, type: postgres, user: postgres }
storage:
  nas: { type: folder, path: ${join(dir, 'storage')} }
encryption:
  recipients: ["${generateIdentity().recipient}"]
plans:
  diario:
    sources: [banco]
    storage: nas
${planLines.map((l) => `    ${l}\n`).join('')}`,
  );
  return configPath;
}
