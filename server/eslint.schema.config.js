import graphqlPlugin from '@graphql-eslint/eslint-plugin';

// graphql-eslint's schema rules over the published schema.graphql (`pnpm --filter server lint:schema`, run from
// the repository's top, part of `pnpm test`): the recommended set and Relay's, with the options below and why.
export default [
  {
    files: ['schema.graphql'],
    // the schema rules read the whole schema: the same file, given to the parser as its graphql-config
    languageOptions: { parser: graphqlPlugin.parser, parserOptions: { graphQLConfig: { schema: 'schema.graphql' } } },
    plugins: { '@graphql-eslint': graphqlPlugin },
    rules: {
      ...graphqlPlugin.configs['flat/schema-recommended'].rules,
      ...graphqlPlugin.configs['flat/schema-relay'].rules,
      // every type, field, argument and enum value explains itself in Apollo Sandbox and in codegen output
      '@graphql-eslint/require-description': [
        'error',
        { types: true, rootField: true, FieldDefinition: true, InputValueDefinition: true, EnumValueDefinition: true, DirectiveDefinition: true },
      ],
      // wrappers (connections, edges, page info, payloads, the admin app's offset lists) and value types
      // (a thumbnail is one of its image's; the dashboard's figures are of the moment they were read)
      // have no identity of their own
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          acceptedIdNames: ['id'],
          acceptedIdTypes: ['ID'],
          exceptions: {
            suffixes: ['Connection', 'Edge', 'List', 'Payload'],
            types: ['PageInfo', 'Thumbnail', 'ImageSource', 'Placeholder', 'CreatedAccessToken', 'AdminStats', 'StorageTotals', 'DailyUploads', 'TierUsage', 'UserUsage', 'JobCounts', 'QueueJobs', 'Usage'],
          },
        },
      ],
      // lists of scalars (heights) and the admin app's offset pages (react-admin pages by number) are lists on purpose
      '@graphql-eslint/relay-edge-types': ['error', { listTypeCanWrapOnlyEdgeType: false, shouldImplementNode: true }],
      // a forward-only connection is a Relay connection too: expiring links are listed newest first
      '@graphql-eslint/relay-arguments': ['error', { includeBoth: false }],
      // `User.username` is what the field holds, and renaming it would break every client
      '@graphql-eslint/no-typename-prefix': 'off',
    },
  },
];
