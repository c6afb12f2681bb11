/** Opens a storage named in the config, with its credentials resolved from their references. */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import type { Config } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { expandHome } from '../config/paths.js';
import { openStorage } from '../storage/index.js';
import type { Storage } from '../storage/types.js';

export function storageFromConfig(config: Config, name: string, env: NodeJS.ProcessEnv = process.env): Storage {
  const s = config.storage[name];
  if (!s) {
    throw new CofreError('CONFIG_REFERENCE', `"${name}" is not a storage in the config; known: ${Object.keys(config.storage).join(', ') || '(none)'}`, said('config.unknownStorage', { name }));
  }
  if (s.type === 'folder') {
    return openStorage({ type: 'folder', name, path: expandHome(s.path), prefix: s.prefix, ...(s.location ? { location: s.location } : {}) });
  }
  const accessKeyId = resolveSecret({ env: s.accessKeyIdEnv ?? 'AWS_ACCESS_KEY_ID', what: `storage.${name}.accessKeyIdEnv` }, env);
  const secretAccessKey = resolveSecret({ env: s.secretAccessKeyEnv ?? 'AWS_SECRET_ACCESS_KEY', what: `storage.${name}.secretAccessKeyEnv` }, env);
  return openStorage(
    {
      type: 's3', name, region: s.region, bucket: s.bucket, prefix: s.prefix, forcePathStyle: s.forcePathStyle,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}), ...(s.location ? { location: s.location } : {}),
      ...(s.objectLock ? { objectLock: s.objectLock } : {}),
    },
    { accessKeyId: accessKeyId ?? '', secretAccessKey: secretAccessKey ?? '' },
  );
}
