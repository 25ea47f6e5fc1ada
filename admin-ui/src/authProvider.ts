import type { AuthProvider } from 'react-admin';
import { print } from 'graphql';
import { LoginMutation, LogoutMutation } from './dataProvider/documents';

const STORAGE_KEY = 'image-api-admin';

interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; username: string };
}

function readSession(): Session | undefined {
  try {
    const session = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    if (!session || Date.parse(session.expiresAt) <= Date.now()) return undefined;
    return session;
  } catch {
    return undefined;
  }
}

export const getToken = (): string | undefined => readSession()?.token;

/** How long a log-out waits for the server before it goes on locally. */
const LOGOUT_TIMEOUT_MS = 5_000;

/**
 * Ends the session on the server, so a copy of the token (a backup of the browser's storage, a shared
 * machine) stops working too. Best effort: an answer of any kind, or none, is the same to the caller.
 */
async function endSession(token: string): Promise<void> {
  try {
    await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(LogoutMutation) }),
      signal: AbortSignal.timeout(LOGOUT_TIMEOUT_MS),
    });
  } catch {
    // offline, or the server is down: the token expires on its own, and logging out here must not wait
  }
}

/** Logs in through the same `login` mutation as every client; only admins may use this app. */
export const authProvider: AuthProvider = {
  async login({ username, password }: { username: string; password: string }) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(LoginMutation), variables: { username, password } }),
    });
    const body = (await response.json()) as { data?: { login: Session & { user: { isAdmin: boolean } } }; errors?: Array<{ message: string }> };
    if (body.errors?.length || !body.data) throw new Error(body.errors?.[0]?.message ?? 'Login failed');
    const { token, expiresAt, user } = body.data.login;
    if (!user.isAdmin) throw new Error('This account is not an admin: only admins can use this app');
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ token, expiresAt, user: { id: user.id, username: user.username } }));
  },
  // react-admin also logs out after a 401, when checkError has already dropped the token: nothing to end then
  async logout() {
    const token = getToken();
    if (token) await endSession(token);
    localStorage.removeItem(STORAGE_KEY);
  },
  async checkAuth() {
    if (!readSession()) throw new Error('Please log in');
  },
  async checkError(error: { status?: number }) {
    if (error?.status === 401) {
      localStorage.removeItem(STORAGE_KEY);
      throw new Error('Your session has ended, please log in again');
    }
  },
  // no getPermissions: this app has one role, and react-admin 5 loops between logout and the login
  // page when getPermissions settles without delay (marmelab/react-admin#10764); the login page
  // then took over ten seconds of busy CPU to appear
  async getIdentity() {
    const session = readSession();
    if (!session) throw new Error('Not logged in');
    return { id: session.user.id, fullName: session.user.username };
  },
};
