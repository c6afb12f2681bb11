/**
 * Finds, reads and validates cofre.yaml. Every problem becomes one CofreError that names the
 * file, the line and path inside it, and what was expected.
 */
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, isMap, isScalar, type Document } from 'yaml';
import type * as z from 'zod';
import { CofreError } from '../errors.js';
import { isCatalogKey, said, type CatalogKey } from '../../shared/i18n/catalog.js';
import { ConfigSchema, type Config } from './schema.js';
import { checkReferences } from './references.js';

export interface LoadedConfig {
  /** absolute path of the file */
  path: string;
  config: Config;
}

export interface ConfigLocation {
  /** --config */
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** `--config FILE`, else `$COFRE_CONFIG`, else `./cofre.yaml`. */
export function resolveConfigPath(where: ConfigLocation = {}): string {
  const env = where.env ?? process.env;
  const cwd = where.cwd ?? process.cwd();
  return resolve(cwd, where.flag ?? env['COFRE_CONFIG'] ?? 'cofre.yaml');
}

export function loadConfig(where: ConfigLocation = {}): LoadedConfig {
  const path = resolveConfigPath(where);
  if (!existsSync(path)) {
    throw new CofreError('CONFIG_MISSING', `no config file at ${path}`, {
      ...said('config.missing', { path }),
      hint: 'run `cofre init` to write a starter config, or pass --config FILE / set COFRE_CONFIG',
    });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CofreError('CONFIG_MISSING', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      ...said('config.unreadable', { path }),
      hint: 'check the file permissions',
    });
  }
  return { path, config: parseConfigText(text, path) };
}

/** Parses and validates config text; `file` is only used in messages. */
export function parseConfigText(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const at = lines.linePos(first.pos[0]);
    const where = `${file}:${at.line}:${at.col}`;
    throw new CofreError('CONFIG_INVALID', `${where}: the YAML is malformed: ${first.message.split('\n')[0]}`, {
      ...said('config.yaml', { file: where }),
      hint: 'fix the YAML syntax (indentation uses spaces; strings with ":" or "#" need quotes)',
    });
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue) {
      // an unknown key is reported at its own line, under its parent's path
      const lineAt = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
      throw configIssue(file, doc, lines, issue.path, describeIssue(issue), lineAt, issueKey(issue));
    }
  }
  const config = parsed.data as Config;
  const problem = checkReferences(config);
  if (problem) throw configIssue(file, doc, lines, problem.path, problem.message);
  return config;
}

export function configIssue(
  file: string,
  doc: Document | undefined,
  lines: LineCounter | undefined,
  path: ReadonlyArray<PropertyKey>,
  message: string,
  lineAt: ReadonlyArray<PropertyKey> = path,
  key: CatalogKey = 'config.value',
): CofreError {
  const dotted = path.map(String).join('.');
  let where = file;
  if (doc && lines) {
    const line = lineOf(doc, lines, lineAt);
    if (line !== undefined) where = `${file}:${line}`;
  }
  return new CofreError('CONFIG_INVALID', `${where}: ${dotted ? `${dotted}: ` : ''}${message}`, {
    ...said(key, { file, path: dotted || '(raiz)' }),
    hint: `edit ${file} and run the command again`,
  });
}

function lineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  // Walk up the path until a node exists (a missing key is reported at its parent).
  for (let n = path.length; n >= 0; n--) {
    const keys = path.slice(0, n).map(String);
    const parent: unknown = keys.length ? doc.getIn(keys.slice(0, -1), true) : undefined;
    // prefer the key's own position (the line a technician would look at)
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === keys[keys.length - 1]);
      if (pair && isScalar(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
    }
    const node: unknown = doc.getIn(keys, true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** A custom issue of the schema may name its own catalog key (`params: { key }`), e.g. one that lists the accepted forms. */
function issueKey(issue: z.core.$ZodIssue): CatalogKey {
  // restoreTargets.<t>.names: the two choices said in the console's language too
  if (issue.path[0] === 'restoreTargets' && issue.path[2] === 'names') return 'staging.config.names';
  const key = issue.code === 'custom' ? (issue.params as { key?: unknown } | undefined)?.key : undefined;
  return typeof key === 'string' && isCatalogKey(key) ? key : 'config.value';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see DESIGN.md for the keys)`;
    case 'invalid_type':
      return issue.input === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${typeOf(issue.input)}`;
    case 'invalid_union':
      return 'type must be one of: postgres, mysql, files (sources) or s3, folder (storage)';
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
