import type { Config } from '../config/env.js';
import { LocalStorage } from './local-storage.js';
import { S3Storage } from './s3-storage.js';
import type { Storage } from './storage.js';

/** A storage driver that checks its target once at start, before the server takes requests. */
export type StartableStorage = Storage & { init(): Promise<void> };

/** The driver STORAGE names, built from the validated config. */
export function createStorage(config: Pick<Config, 'storage'>): StartableStorage {
  const { storage } = config;
  switch (storage.driver) {
    case 'local':
      return new LocalStorage(storage.dir);
    case 's3':
      return new S3Storage(storage);
  }
}
