/**
 * Edits cofre.yaml in place, keeping the technician's comments and layout. The edited text is
 * validated before it replaces the file (written to a temp name, then renamed), so a bad edit
 * never reaches disk.
 */
import { readFileSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { parseDocument, type Document } from 'yaml';
import { parseConfigText } from './load.js';
import type { Config } from './schema.js';

export function editConfig(path: string, mutate: (doc: Document) => void): Config {
  const text = readFileSync(path, 'utf8');
  const doc = parseDocument(text);
  mutate(doc);
  const next = doc.toString({ lineWidth: 0 });
  const config = parseConfigText(next, path);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, next, { mode: statSync(path).mode & 0o777 });
  renameSync(tmp, path);
  return config;
}

/** Sets one value at a path, creating the mappings on the way. */
export function setConfigValue(path: string, at: string[], value: unknown): Config {
  return editConfig(path, (doc) => doc.setIn(at, value));
}
