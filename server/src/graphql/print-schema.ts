import { lexicographicSortSchema, printSchema } from 'graphql';
import { createSchema } from './schema.js';

const HEADER = '# Generated from the server code by `pnpm schema:emit`; a test fails when it is stale. Do not edit.\n\n';

/** The SDL of the API as `schema.graphql` holds it, sorted so diffs show real changes only. */
export async function printSchemaFile(): Promise<string> {
  return HEADER + printSchema(lexicographicSortSchema(await createSchema())) + '\n';
}
