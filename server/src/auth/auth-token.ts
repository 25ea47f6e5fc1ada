import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../shared/clock.js';

const ISSUER = 'image-api';
const AUDIENCE = 'image-api';
const MEMO_LIMIT = 10_000;

export interface TokenClaims {
  userId: string;
  tokenVersion: number;
}

/** Login tokens: HS256 JWTs with the algorithm pinned, so `alg: none` and key confusion are refused. */
export class AuthTokens {
  private readonly key: Uint8Array;
  // a client sends the same token on every request; WebCrypto's HMAC is async and costs more than the
  // rest of a small request, so a token's signature and claims are checked once and its expiry every time
  private readonly verified = new Map<string, { claims: TokenClaims; expiresAt: number }>();

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: TokenClaims): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = issuedAt + this.ttlSeconds;
    const token = await new SignJWT({ ver: claims.tokenVersion })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /** The claims of a valid token, or `undefined` for anything forged, expired or malformed. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    const known = this.verified.get(token);
    // jose's rule: a token is expired from its exp second on
    if (known) return Math.floor(this.clock.now().getTime() / 1000) < known.expiresAt ? known.claims : undefined;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        // jose checks exp only when present; every token issued here has one, so one without it is forged
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: this.clock.now(),
      });
      if (typeof payload.sub !== 'string' || typeof payload.ver !== 'number') return undefined;
      const claims = { userId: payload.sub, tokenVersion: payload.ver };
      if (this.verified.size >= MEMO_LIMIT) this.verified.clear();
      this.verified.set(token, { claims, expiresAt: payload.exp! });
      return claims;
    } catch {
      return undefined;
    }
  }
}
