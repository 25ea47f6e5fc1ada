import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';

const S3 = { STORAGE: 's3', S3_BUCKET: 'image-api-media' };

describe(`${loadConfig.name} storage`, () => {
  it('keeps files in a local folder under DATA_DIR by default', () => {
    const config = loadConfig({});
    expect(config.storage).toEqual({ driver: 'local', dir: join(config.dataDir, 'media') });
  });

  it('builds the S3 section with its defaults: us-east-1, virtual-hosted style, the default credential chain', () => {
    expect(loadConfig(S3).storage).toEqual({
      driver: 's3',
      bucket: 'image-api-media',
      region: 'us-east-1',
      endpoint: undefined,
      forcePathStyle: false,
      credentials: undefined,
    });
  });

  it('takes an endpoint, path style and a key pair for S3-compatible services', () => {
    const config = loadConfig({
      ...S3,
      S3_REGION: 'eu-central-1',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      S3_SECRET_ACCESS_KEY: 'secret-example',
    });
    expect(config.storage).toEqual({
      driver: 's3',
      bucket: 'image-api-media',
      region: 'eu-central-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-example' },
    });
  });

  it.each([['false', false], ['0', false], ['1', true], ['', false]])('reads S3_FORCE_PATH_STYLE=%j as %s', (value, expected) => {
    const storage = loadConfig({ ...S3, S3_FORCE_PATH_STYLE: value }).storage;
    expect(storage.driver === 's3' && storage.forcePathStyle).toBe(expected);
  });

  it('requires S3_BUCKET with STORAGE=s3, and only then', () => {
    expect(() => loadConfig({ STORAGE: 's3' })).toThrow(ConfigError);
    expect(() => loadConfig({ STORAGE: 's3', S3_BUCKET: ' ' })).toThrow(/S3_BUCKET=" ": is required when STORAGE=s3/);
    expect(loadConfig({ S3_ENDPOINT: 'http://minio:9000' }).storage.driver).toBe('local');
  });

  it.each([
    ['STORAGE', 'gcs'],
    ['S3_BUCKET', 'Has_Upper'],
    ['S3_BUCKET', 'ab'],
    ['S3_ENDPOINT', 'minio:9000'],
    ['S3_ENDPOINT', 'ftp://minio'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
  ])('names %s=%s in the error', (key, value) => {
    expect(() => loadConfig({ ...S3, [key]: value })).toThrow(new RegExp(`\\b${key}="${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}": `));
  });

  it('takes the access key only as a pair, naming the half that is missing', () => {
    expect(() => loadConfig({ ...S3, S3_ACCESS_KEY_ID: 'AKIAEXAMPLE' })).toThrow(/S3_SECRET_ACCESS_KEY=\(unset\): set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together/);
    expect(() => loadConfig({ ...S3, S3_SECRET_ACCESS_KEY: 'secret-example' })).toThrow(/S3_ACCESS_KEY_ID=\(unset\): set S3_ACCESS_KEY_ID/);
  });
});
