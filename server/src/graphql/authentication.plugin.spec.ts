import { parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { isSignInOnly } from './authentication.plugin.js';

const operation = (source: string) => parse(source).definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;

describe(isSignInOnly.name, () => {
  it.each([
    'mutation { login(username: "a", password: "b") { token } }',
    'mutation Sign($u: String!, $p: String!) { session: login(username: $u, password: $p) { token } __typename }',
  ])('is true for a mutation of login alone: %s', (source) => {
    expect(isSignInOnly(operation(source))).toBe(true);
  });

  it.each([
    '{ me { id } }',
    '{ __typename }',
    'mutation { __typename }',
    'mutation { logout }',
    'mutation { login(username: "a", password: "b") { token } logout }',
    'mutation { ...F } fragment F on Mutation { login(username: "a", password: "b") { token } }',
    'mutation { ... on Mutation { login(username: "a", password: "b") { token } } }',
  ])('is false for anything else: %s', (source) => {
    expect(isSignInOnly(operation(source))).toBe(false);
  });
});
