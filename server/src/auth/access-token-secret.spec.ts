import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_PREFIX, accessTokenHash, isAccessToken, newAccessToken } from './access-token-secret.js';

describe(newAccessToken.name, () => {
  it('is the prefix, 43 random base62 characters and a 6-character checksum: one word for scanners and double-clicks', () => {
    const token = newAccessToken();
    expect(token).toMatch(/^imgapi_pat_[0-9A-Za-z]{49}$/);
    expect(token.startsWith(ACCESS_TOKEN_PREFIX)).toBe(true);
  });

  it('never repeats and uses the whole alphabet (256 bits of randomness)', () => {
    const tokens = Array.from({ length: 2000 }, newAccessToken);
    expect(new Set(tokens).size).toBe(tokens.length);
    const seen = new Set(tokens.flatMap((t) => [...t.slice(ACCESS_TOKEN_PREFIX.length, -6)]));
    expect(seen.size).toBe(62);
  });
});

describe(isAccessToken.name, () => {
  const token = newAccessToken();

  it('accepts a token as made', () => {
    expect(isAccessToken(token)).toBe(true);
  });

  it('refuses any one character changed, a character more or less, and another prefix', () => {
    for (let i = ACCESS_TOKEN_PREFIX.length; i < token.length; i++) {
      const changed = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
      expect(isAccessToken(changed), changed).toBe(false);
    }
    expect(isAccessToken(`${token}a`)).toBe(false);
    expect(isAccessToken(token.slice(0, -1))).toBe(false);
    expect(isAccessToken(token.replace('imgapi_pat_', 'imgapi_xyz_'))).toBe(false);
    expect(isAccessToken('')).toBe(false);
  });
});

describe(accessTokenHash.name, () => {
  it('is the hex SHA-256 of the whole token, the same every time', () => {
    const token = newAccessToken();
    expect(accessTokenHash(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(accessTokenHash(token)).toBe(accessTokenHash(token));
  });
});
