import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from './errors.js';
import { asStorageFaultError, osFaultOf, storageFaultOf } from './os-errors.js';

const failure = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

describe('OS error classification', () => {
  it.each([
    ['ENOSPC', 'STORAGE_FULL'],
    ['EDQUOT', 'STORAGE_FULL'],
    ['EROFS', 'STORAGE_UNWRITABLE'],
    ['EACCES', 'STORAGE_UNWRITABLE'],
    ['ENOENT', 'STORAGE_UNWRITABLE'],
    ['ECONNREFUSED', 'CONNECTION_LOST'],
  ])('%s is %s', (code, fault) => {
    expect(osFaultOf(failure(code))).toBe(fault);
  });

  it('knows nothing of codes that are not ours to explain, nor of values that are not errors', () => {
    for (const error of [failure('EPIPE'), new Error('plain'), null, undefined, 'ENOSPC', { code: 42 }]) {
      expect(osFaultOf(error)).toBeUndefined();
    }
  });

  it('makes a storage fault a SERVICE_UNAVAILABLE that names it, and leaves a lost connection to its caller', () => {
    const full = asStorageFaultError(failure('ENOSPC'));
    expect(full).toBeInstanceOf(ServiceUnavailableError);
    expect(full?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'STORAGE_FULL' });
    expect(storageFaultOf(failure('ECONNRESET'))).toBeUndefined();
    expect(asStorageFaultError(failure('ECONNRESET'))).toBeUndefined();
  });
});
