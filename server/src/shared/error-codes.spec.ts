import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_REASONS, errorCodeTable } from './error-codes.js';
import { HTTP_STATUS } from './errors.js';

const README = resolve(import.meta.dirname, '../../../README.md');
const START = '<!-- error-codes:start -->';
const END = '<!-- error-codes:end -->';

describe('the registry of error codes', () => {
  it('is the table in the README, word for word (regenerate it from errorCodeTable())', async () => {
    const readme = await readFile(README, 'utf8');
    const from = readme.indexOf(START);
    const to = readme.indexOf(END);
    expect(from, `README.md has no ${START} … ${END} section`).toBeGreaterThan(-1);
    const table = readme.slice(from + START.length, to).trim();
    expect(table, `README.md's table differs from the registry; it should read:\n${errorCodeTable()}`).toBe(errorCodeTable());
  });

  it('gives every code its status, and every reason a code it has', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) expect(HTTP_STATUS[code as keyof typeof HTTP_STATUS]).toBe(status);
    for (const { code } of Object.values(ERROR_REASONS)) expect(ERROR_CODES).toHaveProperty(code);
  });
});
