/** The few well-formed calls both runs make to set themselves up (users, tokens, images). */
import { uploadForm } from '../../bench/lib/product.ts';

export const TIERS = {
  basic: '00000000-0000-4000-8000-000000000001',
  premium: '00000000-0000-4000-8000-000000000002',
  enterprise: '00000000-0000-4000-8000-000000000003',
} as const;

export interface GraphQLAnswer<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }>;
}

export async function gql<T = any>(origin: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLAnswer<T>> {
  const res = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await res.json()) as Omit<GraphQLAnswer<T>, 'status'>;
  return { status: res.status, ...body };
}

/** Like `gql`, but any error throws: for set-up steps that must work. */
export async function mustGql<T = any>(origin: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const answer = await gql<T>(origin, query, variables, token);
  if (answer.errors?.length || !answer.data) throw new Error(`GraphQL ${answer.status}: ${JSON.stringify(answer.errors ?? answer)}`);
  return answer.data;
}

export async function login(origin: string, username: string, password: string): Promise<string> {
  const data = await mustGql(origin, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: password });
  return data.login.token as string;
}

/** A user on `tierId`, signed in. */
export async function newUser(origin: string, adminToken: string, username: string, tierId: string): Promise<{ id: string; token: string }> {
  const password = `${username}-password-1`;
  const data = await mustGql(origin, 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', { input: { username, password, tierId } }, adminToken);
  return { id: data.createUser.id as string, token: await login(origin, username, password) };
}

export interface UploadFile {
  bytes: Uint8Array<ArrayBuffer>;
  name: string;
  type: string;
}

/**
 * `uploadImage` over multipart as a browser sends it; returns the raw answer, never throws on GraphQL
 * errors. The bytes go as they are unless `marker` is given: then a comment carrying it makes them a
 * new image (equal bytes are one image per owner; see bench/lib/product.ts markedParts).
 */
export async function upload(origin: string, token: string, file: UploadFile, selection = 'id format', marker: string | null = null): Promise<GraphQLAnswer<{ uploadImage: any }>> {
  const res = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: uploadForm(file, selection, marker),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: res.status, errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
}

/** The first error code of an answer, or `OK`. */
export const codeOf = (answer: GraphQLAnswer): string => answer.errors?.[0]?.extensions?.code ?? (answer.errors?.length ? 'NO_CODE' : 'OK');
