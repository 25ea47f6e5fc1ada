import { expect } from 'vitest';

export interface GqlResult {
  data?: any;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** The product's GraphQL API over plain HTTP, as any client outside the admin app reaches it. */
export class Api {
  constructor(readonly url: string) {}

  async gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResult> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResult;
  }

  /** A session token; fails the test when the login is refused. */
  async login(username: string, password: string): Promise<string> {
    const result = await this.gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }', { u: username, p: password });
    expect(result.errors).toBeUndefined();
    return result.data.login.token;
  }

  /** Creates a user as the admin (on the default tier unless `tierId`) and signs in as them; their session token. */
  async createUser(adminToken: string, user: { username: string; password: string; tierId?: string }): Promise<string> {
    const created = await this.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: user }, adminToken);
    expect(created.errors).toBeUndefined();
    return this.login(user.username, user.password);
  }

  /** Uploads one PNG as the token's user, by the multipart request spec; the new image's id. */
  async upload(token: string, filename: string, bytes: Buffer): Promise<string> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($f: Upload!) { uploadImage(file: $f) { id } }', variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), filename);
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
      body: form,
    });
    const body = (await response.json()) as GqlResult;
    expect(body.errors).toBeUndefined();
    return body.data.uploadImage.id;
  }
}
