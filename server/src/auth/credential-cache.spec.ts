import { describe, expect, it } from 'vitest';
import { parseCredentialChange } from './credential-cache.js';

const ID = '0b7c3a52-52a5-4f0e-9a3c-2f1f0d7e9a11';

describe(parseCredentialChange.name, () => {
  it.each(['user', 'tier', 'session', 'token'] as const)('reads %s:<uuid> as the triggers send it', (kind) => {
    expect(parseCredentialChange(`${kind}:${ID}`)).toEqual({ kind, id: ID });
  });

  it.each(['image:' + ID, 'user:', 'user:' + ID + 'x', 'token:not-an-id', ''])('ignores %j', (payload) => {
    expect(parseCredentialChange(payload)).toBeUndefined();
  });
});
