import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctPng } from '../support/images.js';
import { TestServer, type TestUser } from '../support/test-server.js';

// relay-compiler (its npm package ships the binary) over a small app's documents, against the
// schema.graphql this repository publishes: a paginated list with @connection that Relay refetches
// (@refetchable, which needs Node and node(id:)), and an image fragment refetched by id. Then the
// query Relay generated runs against the server, forwards and backwards, as Relay would send it.

const SCHEMA = resolve(import.meta.dirname, '../../../schema.graphql');
const COMPILER = createRequire(import.meta.url).resolve('relay-compiler/cli.js');

const DOCUMENTS = `import { graphql } from 'react-relay';
export const list = graphql\`
  fragment imagesList_query on Query
  @refetchable(queryName: "ImagesListPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }, last: { type: "Int" }, before: { type: "String" }, order: { type: "ImageOrder", defaultValue: NEWEST_FIRST }) {
    images(first: $count, after: $cursor, last: $last, before: $before, order: $order) @connection(key: "imagesList_images", filters: ["order"]) {
      edges { node { id filename ...imagesCard_image } }
    }
  }
\`;
export const card = graphql\`
  fragment imagesCard_image on Image @refetchable(queryName: "ImagesCardRefetchQuery") { id filename originalUrl thumbnails { size url } }
\`;
export const app = graphql\`query imagesAppQuery { ...imagesList_query }\`;
`;

/** Compiles the documents in a folder of their own against `schema`; the compiler's exit status and output. */
async function compile(dir: string, schema: string): Promise<{ status: number | null; output: string }> {
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'schema.graphql'), schema);
  await writeFile(join(dir, 'relay.config.json'), JSON.stringify({ src: './src', schema: './schema.graphql', language: 'typescript' }));
  await writeFile(join(dir, 'src', 'images.ts'), DOCUMENTS);
  const run = spawnSync(process.execPath, [COMPILER], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'relay-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('relay-compiler against schema.graphql', () => {
  let server: TestServer;
  let owner: TestUser;
  let paginationQuery: string;

  beforeAll(async () => {
    const result = await compile(join(work, 'app'), await readFile(SCHEMA, 'utf8'));
    expect(result.status, result.output).toBe(0);
    const artifact = await readFile(join(work, 'app', 'src', '__generated__', 'ImagesListPaginationQuery.graphql.ts'), 'utf8');
    paginationQuery = JSON.parse(/"text": ("(?:[^"\\]|\\.)*")/.exec(artifact)![1]!);
    server = await TestServer.start();
    owner = await server.createUser();
    for (let i = 0; i < 5; i++) {
      server.clock.advance(1000);
      await server.upload(owner.token, [{ name: `p${i}.png`, data: await distinctPng(10, 10) }], { selection: 'id' });
    }
  });
  afterAll(() => server?.stop());

  it('compiles @connection and @refetchable documents', async () => {
    const generated = join(work, 'app', 'src', '__generated__');
    for (const name of ['ImagesListPaginationQuery', 'ImagesCardRefetchQuery', 'imagesList_query']) {
      await expect(readFile(join(generated, `${name}.graphql.ts`), 'utf8')).resolves.toContain(name);
    }
    expect(await readFile(join(generated, 'ImagesCardRefetchQuery.graphql.ts'), 'utf8')).toContain('node(id: $id)');
  });

  it('refuses them on a schema without what Relay needs, so the test above can fail', async () => {
    const schema = await readFile(SCHEMA, 'utf8');
    const withoutPrevious = schema.replace(/\n\s*"""Whether items come before this page[^\n]*\n\s*hasPreviousPage: Boolean!/, '');
    expect(withoutPrevious).not.toBe(schema);
    const result = await compile(join(work, 'old'), withoutPrevious);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/hasPreviousPage/);
  });

  it('generates a pagination query the server answers, forwards and backwards, as Relay sends it', async () => {
    const run = async (variables: Record<string, unknown>) => {
      const result = await server.gql(paginationQuery, variables, owner.token);
      expect(result.errors).toBeUndefined();
      return result.data.images;
    };
    const first = await run({ count: 2 });
    expect(first.edges.map((edge: { node: { filename: string } }) => edge.node.filename)).toEqual(['p4.png', 'p3.png']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    // loadPrevious: Relay sends count null, last and before
    const previous = await run({ count: null, last: 2, before: (await run({ count: 4 })).pageInfo.endCursor });
    expect(previous.edges.map((edge: { node: { filename: string } }) => edge.node.filename)).toEqual(['p3.png', 'p2.png']);
    expect(previous.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });
});
