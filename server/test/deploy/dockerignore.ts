import { posix } from 'node:path';

interface Rule {
  pattern: RegExp;
  exclude: boolean;
}

/**
 * `.dockerignore` as Docker reads it: patterns relative to the context root, `*` within one path
 * segment, `**` across any number, `!` to let a path back in, the last matching rule winning, and a
 * path ignored when it or any folder above it matches.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules: Rule[] = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const cleaned = posix.normalize(exclude ? line : line.slice(1).trim()).replace(/^\/+|\/+$/g, '');
      return { pattern: toRegExp(cleaned), exclude };
    });

  return (path) => {
    const segments = posix.normalize(path).replace(/^\/+|\/+$/g, '').split('/');
    const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) {
      if (candidates.some((candidate) => rule.pattern.test(candidate))) ignored = rule.exclude;
    }
    return ignored;
  };
}

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
