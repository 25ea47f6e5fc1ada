import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { printSchemaFile } from '../graphql/print-schema.js';

const target = resolve(import.meta.dirname, '../../../schema.graphql');
await writeFile(target, await printSchemaFile());
console.log(`wrote ${target}`);
