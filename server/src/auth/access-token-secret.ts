import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Personal access tokens: `imgapi_pat_`, 43 random base62 characters (256 bits), then 6 base62
 * characters of a CRC-32 of everything before them. The prefix lets secret scanners find leaked tokens,
 * the checksum lets them (and this server, before any lookup) tell a real token from a look-alike, and
 * base62 keeps the whole token one word that double-clicks and greps as one.
 */
export const ACCESS_TOKEN_PREFIX = 'imgapi_pat_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_CHARS = 43;
const CHECKSUM_CHARS = 6;
const SHAPE = new RegExp(`^${ACCESS_TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`);

/** A new token, to be shown once and stored only as its hash. */
export function newAccessToken(): string {
  const body = ACCESS_TOKEN_PREFIX + randomBase62(RANDOM_CHARS);
  return body + checksum(body);
}

/** Whether `token` is shaped like one of ours, checksum included; says nothing of whether it exists. */
export function isAccessToken(token: string): boolean {
  if (!SHAPE.test(token)) return false;
  const cut = token.length - CHECKSUM_CHARS;
  return checksum(token.slice(0, cut)) === token.slice(cut);
}

/**
 * What is stored and looked up: SHA-256 of the token, hex. The token is 256 random bits, so a fast hash
 * cannot be brute-forced and costs a microsecond per request, where argon2 would cost tens of ms.
 */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // 248 = 4 × 62: bytes above it are dropped, so every character is equally likely
    for (const byte of randomBytes(length * 2)) if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
  }
  return out;
}

function checksum(text: string): string {
  let value = crc32(text);
  let out = '';
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}
