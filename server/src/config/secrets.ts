import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './env.js';

export interface Secrets {
  authSecret: string;
  linkSigningKeys: string[];
}

interface StoredSecrets {
  authSecret: string;
  linkSigningKey: string;
}

/**
 * Fills secrets the environment left unset from `DATA_DIR/secrets.json`, generating that file once.
 * Regenerating at a later boot would log everyone out and break every link handed out, so an
 * unreadable file is an error, never a reason to make new keys.
 */
export async function resolveSecrets(config: Config): Promise<Secrets> {
  if (config.authSecret && config.linkSigningKeys) {
    return { authSecret: config.authSecret, linkSigningKeys: config.linkSigningKeys };
  }
  const file = join(config.dataDir, 'secrets.json');
  let stored: StoredSecrets;
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as StoredSecrets;
    if (typeof stored.authSecret !== 'string' || typeof stored.linkSigningKey !== 'string') {
      throw new Error(`${file} is missing authSecret or linkSigningKey`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    stored = { authSecret: randomBytes(32).toString('base64url'), linkSigningKey: randomBytes(32).toString('base64url') };
    await mkdir(config.dataDir, { recursive: true });
    // 'wx' refuses to overwrite a file another process wrote in the meantime
    await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600, flag: 'wx' }).catch(async (writeError) => {
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      stored = JSON.parse(await readFile(file, 'utf8')) as StoredSecrets;
    });
  }
  return {
    authSecret: config.authSecret ?? stored.authSecret,
    linkSigningKeys: config.linkSigningKeys ?? [stored.linkSigningKey],
  };
}
