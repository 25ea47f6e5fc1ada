import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types every GraphQL document of the app against the server's `schema.graphql`: a schema change that
 * breaks the app fails here or in the type check that follows.
 */
const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTimeISO: 'string', Upload: 'File', JSONObject: 'Record<string, unknown>', SafeInt: 'number' } },
    },
  },
};

export default config;
