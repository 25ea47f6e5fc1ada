import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../shared/clock.js';
import { isUuid } from '../shared/ids.js';

const ISSUER = 'image-api';
const AUDIENCE = 'image-api';
const MEMO_LIMIT = 10_000;

export interface TokenClaims {
  userId: string;
  tokenVersion: number;
}

export interface VerifiedToken extends TokenClaims {
  /** The session the token stands for (its `jti`); what `logout` revokes. */
  sessionId: string;
  /** Unix seconds: the token's `exp`. */
  expiresAt: number;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  sessionId: string;
}

/**
 * Tokens issued before sessions could end carry no `jti`; each stands for a session of its own, named
 * after its hash, so `logout` ends it alone like any other (they expire within AUTH_TOKEN_TTL_SECONDS).
 */
function legacySessionId(token: string): string {
  const hex = createHash('sha256').update(token).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Login tokens: HS256 JWTs with the algorithm pinned, so `alg: none` and key confusion are refused. */
export class AuthTokens {
  private readonly key: Uint8Array;
  // a client sends the same token on every request; WebCrypto's HMAC is async and costs more than the
  // rest of a small request, so a token's signature and claims are checked once and its expiry every time
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A new session's token; the session id is random, so nothing can have revoked it yet. */
  async issue(claims: TokenClaims): Promise<IssuedToken> {
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = issuedAt + this.ttlSeconds;
    const sessionId = randomUUID();
    const token = await new SignJWT({ ver: claims.tokenVersion })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setJti(sessionId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt: new Date(expiresAt * 1000), sessionId };
  }

  /** The claims of a valid token, or `undefined` for anything forged, expired or malformed. */
  async verify(token: string): Promise<VerifiedToken | undefined> {
    const known = this.verified.get(token);
    // jose's rule: a token is expired from its exp second on
    if (known) return Math.floor(this.clock.now().getTime() / 1000) < known.expiresAt ? known : undefined;
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
      if (payload.jti !== undefined && !isUuid(payload.jti)) return undefined;
      const verified = { userId: payload.sub, tokenVersion: payload.ver, sessionId: payload.jti ?? legacySessionId(token), expiresAt: payload.exp! };
      if (this.verified.size >= MEMO_LIMIT) this.verified.clear();
      this.verified.set(token, verified);
      return verified;
    } catch {
      return undefined;
    }
  }
}
