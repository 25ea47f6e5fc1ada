import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The folders of src/ from the bottom up. A module may import its own layer and those below; an import
 * of a higher layer "runs back up" and is what makes a change in one place ripple into unrelated ones.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['shared'],
  ['config'],
  ['db', 'storage', 'observability'],
  ['auth', 'tiers', 'users', 'quotas', 'images', 'links', 'jobs', 'audit', 'stats'],
  // the entry points and the wiring: GraphQL schema and context, HTTP routes, processes
  ['graphql', 'http', 'cluster', 'bin', '.'],
];

/** The one kind of upward import left: a resolver takes the request context GraphQL hands it. */
const ALLOWED_UPWARD = /^[a-z]+\/[a-z-]+\.resolver\.ts -> graphql\/context\.ts$/;
const MAX_UPWARD = 10;
const MAX_SOURCE_LINES = 250;
const MAX_SPEC_LINES = 400;

const SRC = import.meta.dirname;
const TEST = resolve(SRC, '../test');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
}

const sources = filesUnder(SRC).filter((file) => !file.endsWith('.spec.ts') && !file.includes('/migrations/'));

function layerOf(file: string): number {
  const top = relative(SRC, file).split('/');
  const folder = top.length === 1 ? '.' : top[0]!;
  const layer = LAYERS.findIndex((folders) => folders.includes(folder));
  if (layer === -1) throw new Error(`src/${folder} is in no layer of architecture.spec.ts`);
  return layer;
}

function upwardImports(): string[] {
  const upward: string[] = [];
  for (const file of sources) {
    for (const imported of ts.preProcessFile(readFileSync(file, 'utf8')).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), imported.fileName).replace(/\.js$/, '.ts');
      if (layerOf(target) > layerOf(file)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  return upward;
}

const lineCount = (file: string) => readFileSync(file, 'utf8').split('\n').length - 1;

describe('architecture', () => {
  it(`imports run back up the layers only where a resolver takes the GraphQL context, ${MAX_UPWARD} at most`, () => {
    const upward = upwardImports();
    expect(upward.filter((edge) => !ALLOWED_UPWARD.test(edge))).toEqual([]);
    expect(upward.length).toBeLessThanOrEqual(MAX_UPWARD);
  });

  it(`no source file is over ${MAX_SOURCE_LINES} lines`, () => {
    const long = sources.filter((file) => lineCount(file) > MAX_SOURCE_LINES).map((file) => `${relative(SRC, file)}: ${lineCount(file)}`);
    expect(long).toEqual([]);
  });

  it(`no spec is over ${MAX_SPEC_LINES} lines`, () => {
    const specs = [...filesUnder(SRC), ...filesUnder(TEST)].filter((file) => file.endsWith('.spec.ts'));
    const long = specs.filter((file) => lineCount(file) > MAX_SPEC_LINES).map((file) => `${relative(SRC, file)}: ${lineCount(file)}`);
    expect(long).toEqual([]);
  });

  it('keeps the unit tier free of the database: no spec beside the sources reaches into test/', () => {
    const unitSpecs = filesUnder(SRC).filter((file) => file.endsWith('.spec.ts'));
    const reaching = unitSpecs.filter((file) =>
      ts.preProcessFile(readFileSync(file, 'utf8')).importedFiles.some(({ fileName }) => fileName.startsWith('.') && resolve(dirname(file), fileName).startsWith(TEST)),
    );
    expect(reaching.map((file) => relative(SRC, file))).toEqual([]);
  });
});
