import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** 16 bytes of HMAC-SHA256: 128 bits cannot be guessed, and keeps URLs short. */
const SIGNATURE_BYTES = 16;
const SIGNATURE_LENGTH = Math.ceil((SIGNATURE_BYTES * 4) / 3);
const MEMO_LIMIT = 100_000;

/**
 * Signs and verifies link payloads with HMAC-SHA256. The first key signs; every key verifies, so a
 * new key can be put first while links signed with the old one keep working until it is removed.
 */
export class LinkSigner {
  // KeyObjects: createHmac with a raw Buffer key costs about 5x as much per call on these machines
  private readonly keys: KeyObject[];
  // lists sign the same payloads again and again; a bounded memo keeps that to one HMAC per payload
  private readonly memo = new Map<string, string>();

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('LinkSigner needs at least one key');
    this.keys = keys.map((key) => createSecretKey(Buffer.from(key, 'utf8')));
  }

  sign(payload: string): string {
    let signature = this.memo.get(payload);
    if (signature === undefined) {
      signature = this.compute(this.keys[0]!, payload);
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(payload, signature);
    }
    return signature;
  }

  /** Constant-time check against every key; any malformed signature is simply false. */
  verify(payload: string, signature: unknown): boolean {
    if (typeof signature !== 'string' || signature.length !== SIGNATURE_LENGTH) return false;
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature) return false;
    if (timingSafeEqual(given, Buffer.from(this.sign(payload), 'base64url'))) return true;
    return this.keys.slice(1).some((key) => timingSafeEqual(given, Buffer.from(this.compute(key, payload), 'base64url')));
  }

  private compute(key: KeyObject, payload: string): string {
    return createHmac('sha256', key).update(payload).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
  }
}
