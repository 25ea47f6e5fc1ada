import { describe, expect, it } from 'vitest';
import { LinkSigner } from './link-signer.js';

const PAYLOAD = 'file:3f2a9c1e-0b7d-4e2a-9a51-6c0d2f9e8b10/h200';
const BASE64URL_22 = /^[A-Za-z0-9_-]{22}$/;

/** The same bytes in another spelling: base64url's last character of 16 bytes carries 4 unused bits. */
function withPaddingBitFlipped(signature: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(signature.at(-1)!);
  return signature.slice(0, -1) + alphabet[last ^ 1];
}

describe(LinkSigner.name, () => {
  const signer = new LinkSigner(['a-key-for-the-unit-tests']);

  it('signs deterministically and verifies its own signature', () => {
    const signature = signer.sign(PAYLOAD);
    expect(signature).toMatch(BASE64URL_22);
    expect(signer.sign(PAYLOAD)).toBe(signature);
    expect(new LinkSigner(['a-key-for-the-unit-tests']).sign(PAYLOAD)).toBe(signature);
    expect(signer.verify(PAYLOAD, signature)).toBe(true);
  });

  it('refuses the signature for any other payload', () => {
    const signature = signer.sign(PAYLOAD);
    for (const other of [`${PAYLOAD}0`, PAYLOAD.replace('h200', 'h400'), PAYLOAD.replace('h200', 'original'), PAYLOAD.slice(0, -1), '']) {
      expect(signer.sign(other)).not.toBe(signature);
      expect(signer.verify(other, signature), other).toBe(false);
    }
  });

  it('refuses a signature made with another key', () => {
    expect(new LinkSigner(['another-key']).verify(PAYLOAD, signer.sign(PAYLOAD))).toBe(false);
  });

  it('refuses a signature with any single character changed', () => {
    const signature = signer.sign(PAYLOAD);
    for (let i = 0; i < signature.length; i++) {
      const swapped = signature[i] === 'A' ? 'B' : 'A';
      const tampered = signature.slice(0, i) + swapped + signature.slice(i + 1);
      expect(signer.verify(PAYLOAD, tampered), tampered).toBe(false);
    }
  });

  it('refuses a second spelling of the right bytes, so a signature has exactly one valid form', () => {
    const signature = signer.sign(PAYLOAD);
    const respelled = withPaddingBitFlipped(signature);
    expect(respelled).not.toBe(signature);
    expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    expect(signer.verify(PAYLOAD, respelled)).toBe(false);
  });

  describe('key rotation', () => {
    const old = new LinkSigner(['old-key']);
    const rotated = new LinkSigner(['new-key', 'old-key']);
    const retired = new LinkSigner(['new-key']);

    it('keeps verifying links signed with an older key while that key is listed', () => {
      expect(rotated.verify(PAYLOAD, old.sign(PAYLOAD))).toBe(true);
    });

    it('stops verifying them once the old key is removed', () => {
      expect(retired.verify(PAYLOAD, old.sign(PAYLOAD))).toBe(false);
    });

    it('signs new links with the first key only', () => {
      const fresh = rotated.sign(PAYLOAD);
      expect(fresh).toBe(retired.sign(PAYLOAD));
      expect(fresh).not.toBe(old.sign(PAYLOAD));
      expect(old.verify(PAYLOAD, fresh)).toBe(false);
      expect(retired.verify(PAYLOAD, fresh)).toBe(true);
    });

    it('still refuses another payload under an older key', () => {
      expect(rotated.verify(`${PAYLOAD}x`, old.sign(PAYLOAD))).toBe(false);
    });
  });

  describe('malformed signatures', () => {
    const good = () => signer.sign(PAYLOAD);
    const cases: Array<[string, unknown]> = [
      ['empty', ''],
      ['one character', 'A'],
      ['one character short', good().slice(0, -1)],
      ['one character long', `${good()}A`],
      ['with base64 padding', `${good()}==`],
      ['standard base64 alphabet', good().slice(0, -2) + '+/'],
      ['non-alphabet characters', '!'.repeat(22)],
      ['a NUL character', '\0'.repeat(22)],
      ['non-ASCII of the right length', 'é'.repeat(22)],
      ['10 KB', 'A'.repeat(10 * 1024)],
      ['undefined', undefined],
      ['null', null],
      ['a number', 12345],
      ['an array of the right signature', [good()]],
      ['an object', { toString: good }],
      ['a Buffer of the right bytes', Buffer.from(good(), 'base64url')],
    ];

    it.each(cases)('returns false without throwing for %s', (_name, signature) => {
      expect(() => signer.verify(PAYLOAD, signature)).not.toThrow();
      expect(signer.verify(PAYLOAD, signature)).toBe(false);
    });

    it('returns false for malformed signatures under a rotated key list too', () => {
      const rotated = new LinkSigner(['new-key', 'old-key']);
      for (const [, signature] of cases) expect(rotated.verify(PAYLOAD, signature)).toBe(false);
    });
  });

  it('takes keys of any length (length rules belong to the config)', () => {
    for (const key of ['k', 'x'.repeat(500)]) {
      const short = new LinkSigner([key]);
      expect(short.verify(PAYLOAD, short.sign(PAYLOAD))).toBe(true);
    }
  });

  it('needs at least one key', () => {
    expect(() => new LinkSigner([])).toThrow();
  });
});
