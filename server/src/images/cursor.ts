import { BadUserInputError } from '../shared/errors.js';
import { isUuid } from '../shared/ids.js';

export interface ImageCursor {
  createdAt: Date;
  id: string;
}

/** Opaque to clients: the position of an image (or link) in a list ordered by creation, either way. */
export function encodeCursor({ createdAt, id }: ImageCursor): string {
  return Buffer.from(`${createdAt.getTime()}:${id}`).toString('base64url');
}

/** `field`: the argument it came in, named in the error when it is not a cursor. */
export function decodeCursor(cursor: string, field: 'after' | 'before' = 'after'): ImageCursor {
  const match = /^(\d{1,15}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || !isUuid(match[2]!)) throw new BadUserInputError('The cursor is not valid', { field });
  return { createdAt: new Date(Number(match[1])), id: match[2]! };
}
