import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { authProvider, getToken } from './authProvider';

const STORAGE_KEY = 'image-api-admin';

interface Request {
  url: string;
  authorization: string | undefined;
  query: string;
}

let requests: Request[];
let storage: Map<string, string>;

/** Stores a session as login does, valid for an hour unless told otherwise. */
function storeSession(token: string, expiresInMs = 3_600_000) {
  storage.set(STORAGE_KEY, JSON.stringify({ token, expiresAt: new Date(Date.now() + expiresInMs).toISOString(), user: { id: 'u1', username: 'admin' } }));
}

function answerWith(respond: () => Promise<Response>) {
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    requests.push({ url, authorization: new Headers(init.headers).get('authorization') ?? undefined, query: JSON.parse(String(init.body)).query });
    return respond();
  });
}

beforeEach(() => {
  requests = [];
  storage = new Map();
  vi.stubGlobal('localStorage', {
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('logout', () => {
  test('ends the session on the server with its token, then forgets it', async () => {
    storeSession('session-1');
    answerWith(async () => {
      // still stored while the server is asked: the token is sent, not read after it is gone
      expect(getToken()).toBe('session-1');
      return Response.json({ data: { logout: true } });
    });

    await authProvider.logout({});

    expect(requests).toEqual([{ url: '/graphql', authorization: 'Bearer session-1', query: expect.stringMatching(/mutation Logout\b[\s\S]*logout/) }]);
    expect(storage.has(STORAGE_KEY)).toBe(false);
  });

  test('logs out locally when the server refuses the token or cannot be reached', async () => {
    storeSession('already-ended');
    answerWith(async () => Response.json({ errors: [{ message: 'Not signed in', extensions: { code: 'UNAUTHENTICATED' } }] }, { status: 401 }));
    await authProvider.logout({});
    expect(storage.has(STORAGE_KEY)).toBe(false);

    storeSession('offline');
    answerWith(() => Promise.reject(new TypeError('fetch failed')));
    await authProvider.logout({});
    expect(storage.has(STORAGE_KEY)).toBe(false);
    expect(requests.map((request) => request.authorization)).toEqual(['Bearer already-ended', 'Bearer offline']);
  });

  test('asks the server nothing without a live session (after a 401, or once it expired)', async () => {
    answerWith(async () => Response.json({ data: { logout: true } }));
    await authProvider.logout({});
    storeSession('expired', -1_000);
    await authProvider.logout({});

    expect(requests).toEqual([]);
    expect(storage.has(STORAGE_KEY)).toBe(false);
  });
});
