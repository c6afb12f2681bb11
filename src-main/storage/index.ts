/**
 * Opens the storage a config entry describes. See types.ts for the contract.
 */
import { CofreError } from '../errors.js';
import { said } from '../../shared/i18n/catalog.js';
import { FolderStorage } from './folder.js';
import { S3Storage } from './s3.js';
import type { S3StorageOptions } from './s3.js';
import type { S3Credentials, Storage, StorageLogger, StorageSpec } from './types.js';

export type {
  FolderStorageSpec,
  GetOptions,
  ObjectInfo,
  ObjectLockPolicy,
  ObjectRetention,
  PutOptions,
  S3Credentials,
  S3StorageSpec,
  Storage,
  StorageLocation,
  StorageLogger,
  StorageSpec,
  StoredObject,
} from './types.js';
export { FolderStorage } from './folder.js';
export { S3Storage } from './s3.js';
export type { S3StorageOptions } from './s3.js';
export { isUnderRetention, objectRetention, objectLockPolicy, ObjectLockedError } from './object-lock.js';
export { validateKey } from './keys.js';

export interface OpenStorageOptions extends S3StorageOptions {
  logger?: StorageLogger;
}

/**
 * A Storage for `spec`. For S3, `credentials` are the resolved keys (the caller reads the
 * env vars the config names); without them the AWS SDK default chain applies.
 * Opening does no I/O: call `check()` to find out whether the storage is usable.
 */
export function openStorage(spec: StorageSpec, credentials?: S3Credentials, opts: OpenStorageOptions = {}): Storage {
  switch (spec.type) {
    case 's3':
      return new S3Storage(spec, credentials, opts);
    case 'folder':
      return new FolderStorage(spec);
    default: {
      const type = (spec as { type: unknown }).type;
      throw new CofreError('CONFIG_INVALID', `unknown storage type ${JSON.stringify(type)}`, { ...said('config.storageType', { type: String(type) }), hint: 'use "s3" or "folder"' });
    }
  }
}
