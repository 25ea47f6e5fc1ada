// Anchor for GraphQL: bare Apollo Server 5 (`startStandaloneServer`, defaults, like bench-anchors'
// gql-server.mjs `apollo-pg`): `{ hello }`, and the listing user's first 50 images from the same
// PostgreSQL table through a node-postgres Pool (max 4), each row with 3 HMAC-SHA256-signed links.
// usage: PG_URL=… OWNER_ID=… node apollo.ts <port>
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import pg from 'pg';

const [port] = process.argv.slice(2) as [string];
const pool = new pg.Pool({ connectionString: process.env.PG_URL, max: 4 });
// a KeyObject, as bench-anchors' gql-server.mjs: a raw Buffer key would be imported on every createHmac
const key = createSecretKey(randomBytes(32));
const sign = (path: string) => `http://127.0.0.1:${port}${path}?sig=${createHmac('sha256', key).update(path).digest().subarray(0, 16).toString('base64url')}`;

const typeDefs = `#graphql
  type Thumb { size: Int!, url: String! }
  type Image { id: ID!, width: Int!, height: Int!, createdAt: String!, original: String!, thumbs: [Thumb!]! }
  type Query { hello: String!, images(first: Int!): [Image!]! }`;

interface Row { id: string; created_at: Date; width: number; height: number }

const resolvers = {
  Query: {
    hello: () => 'world',
    images: async (_: unknown, { first }: { first: number }) => {
      const { rows } = await pool.query<Row>({
        name: 'page',
        text: 'select id, created_at, width, height from images where owner_id = $1 order by created_at desc, id desc limit $2',
        values: [process.env.OWNER_ID, first],
      });
      return rows.map((row) => ({
        id: row.id,
        width: row.width,
        height: row.height,
        createdAt: row.created_at.toISOString(),
        original: sign(`/files/${row.id}/original`),
        thumbs: [200, 400].map((size) => ({ size, url: sign(`/files/${row.id}/h${size}`) })),
      }));
    },
  },
};

const server = new ApolloServer({ typeDefs, resolvers });
await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
