import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSchemaFile } from './print-schema.js';
import { createSchema } from './schema.js';

describe('schema.graphql', () => {
  it('matches the schema the server builds (run `pnpm schema:emit` after changing the API)', async () => {
    const committed = await readFile(resolve(import.meta.dirname, '../../../schema.graphql'), 'utf8');
    expect(committed).toBe(await printSchemaFile());
  });

  it('keeps the public contract’s names', async () => {
    const schema = await createSchema();
    const signatures = [schema.getQueryType()!, schema.getMutationType()!].flatMap((type) =>
      Object.values(type.getFields()).map((f) => `${f.name}(${f.args.map((a) => `${a.name}: ${a.type}`).sort().join(', ')}): ${f.type}`),
    );
    for (const field of [
      'login(password: String!, username: String!): AuthPayload!',
      'uploadImage(file: Upload!): Image!',
      'uploadImages(files: [Upload!]!): [Image!]!',
      'images(after: String, before: String, filter: ImageListFilter, first: Int, last: Int, order: ImageOrder!): ImageConnection!',
      'node(id: ID!): Node',
      'image(id: ID!): Image',
      'createExpiringLink(expiresIn: Int!, imageId: ID!, size: Int): ExpiringLink!',
      'deleteImage(id: ID!): Boolean!',
      'createTier(input: CreateTierInput!): Tier!',
      'updateTier(id: ID!, input: UpdateTierInput!): Tier!',
      'deleteTier(id: ID!): Boolean!',
      'createUser(input: CreateUserInput!): User!',
      'updateUser(id: ID!, input: UpdateUserInput!): User!',
      'deleteUser(id: ID!): Boolean!',
    ]) {
      expect(signatures).toContain(field.replace(/^(\w+)\(\)/, '$1()'));
    }
    expect(signatures).toContain('me(): User!');
    const userFields = Object.keys((schema.getType('User') as GraphQLObjectType).getFields());
    expect(userFields.filter((name) => /password|hash|token/i.test(name))).toEqual([]);
  });
});
