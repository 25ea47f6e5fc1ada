import { createHash } from 'node:crypto';
import type { Sql } from '../db/sql.js';
import { BadUserInputError } from '../shared/errors.js';
import { escapeLike } from '../shared/list-args.js';
import type { PageInfo } from '../shared/relay.js';
import type { User } from '../users/user.entity.js';
import { decodeCursor, encodeCursor, type ImageCursor } from './cursor.js';
import { ImageOrder, type ImageListFilter, type ImagesArgs } from './image-list.args.js';
import { Image, type ImageFormat } from './image.entity.js';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;
const MAX_NAME_FILTER = 255;

export interface ImagePage {
  edges: Array<{ cursor: string; node: Image }>;
  pageInfo: PageInfo;
  /** Counted only when the client asks for totalCount. */
  countTotal: () => Promise<number>;
}

// created_at as epoch milliseconds: the driver hands timestamps over as text, and the cursor needs the exact value
export const IMAGE_COLUMNS =
  'i.id, i.filename, i.format, i.width, i.height, i.bytes, i.sha256, i.link_version, i.placeholder_hash, i.placeholder_data_url, i.placeholder_color, floor(extract(epoch from i.created_at) * 1000)::bigint as created_ms';

export interface ImageRow {
  id: string;
  filename: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  sha256: string | null;
  link_version: number;
  placeholder_hash: string | null;
  placeholder_data_url: string | null;
  placeholder_color: string | null;
  created_ms: string;
}

// a few dozen shapes at most (order, direction, cursors, filters given), each named once
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `images-${createHash('sha1').update(text).digest('base64url').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** SQL conditions over `i` and their values, numbered from $2 ($1 is the owner). */
class Conditions {
  readonly text: string[] = ['i.owner_id = $1'];
  readonly values: unknown[];

  constructor(ownerId: string) {
    this.values = [ownerId];
  }

  copy(): Conditions {
    const copy = new Conditions('');
    copy.text.splice(0, copy.text.length, ...this.text);
    copy.values.splice(0, copy.values.length, ...this.values);
    return copy;
  }

  add(sql: (next: () => string) => string, ...values: unknown[]): void {
    let n = this.values.length;
    this.text.push(sql(() => `$${++n}`));
    this.values.push(...values);
  }

  /** Items strictly beyond `cursor` when reading descending (`<`) or ascending (`>`). */
  beyond(cursor: ImageCursor, descending: boolean): void {
    this.add((next) => `(i.created_at, i.id) ${descending ? '<' : '>'} (${next()}, ${next()})`, cursor.createdAt, cursor.id);
  }

  /** A statement named by its text: each pooled connection plans every shape of list once. */
  statement(text: string, extra: unknown[] = []) {
    const full = text.replace('{where}', this.text.join(' and '));
    return { name: statementName(full), text: full, values: [...this.values, ...extra] };
  }
}

function checkSize(value: number | undefined, field: 'first' | 'last'): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > MAX_PAGE)) {
    throw new BadUserInputError(`${field} must be between 0 and ${MAX_PAGE}`, { field });
  }
}

function filtered(ownerId: string, filter: ImageListFilter | undefined): Conditions {
  const where = new Conditions(ownerId);
  if (filter?.nameContains !== undefined && filter.nameContains !== null) {
    if (filter.nameContains.length > MAX_NAME_FILTER) throw new BadUserInputError(`nameContains takes at most ${MAX_NAME_FILTER} characters`, { field: 'filter.nameContains' });
    where.add((next) => `i.filename ilike ${next()}`, `%${escapeLike(filter.nameContains)}%`);
  }
  if (filter?.format) where.add((next) => `i.format = ${next()}`, filter.format);
  if (filter?.createdFrom) where.add((next) => `i.created_at >= ${next()}`, filter.createdFrom);
  if (filter?.createdBefore) where.add((next) => `i.created_at < ${next()}`, filter.createdBefore);
  return where;
}

/**
 * One page of the owner's images by keyset, after the Relay Cursor Connections specification: the
 * items between `after` and `before` in the chosen order, the `first` of them read forwards or the
 * `last` read backwards, with one row more than the page to say whether more follow. Page 500 costs
 * what page 1 does. Rows become plain Image objects owned by the viewer, not managed entities: a page
 * is read-only, and hydrating it through the identity map was the largest cost of a list request.
 */
export async function imagePage(sql: Sql, owner: User, args: ImagesArgs): Promise<ImagePage> {
  const { first, last, after, before } = args;
  checkSize(first, 'first');
  checkSize(last, 'last');
  if (first !== undefined && last !== undefined) throw new BadUserInputError('Give first or last, not both', { field: 'last' });
  const backwards = last !== undefined;
  const size = last ?? first ?? DEFAULT_PAGE;
  const newestFirst = (args.order ?? ImageOrder.NEWEST_FIRST) === ImageOrder.NEWEST_FIRST;
  const afterCursor = after ? decodeCursor(after, 'after') : undefined;
  const beforeCursor = before ? decodeCursor(before, 'before') : undefined;

  const base = filtered(owner.id, args.filter);
  const where = base.copy();
  if (afterCursor) where.beyond(afterCursor, newestFirst);
  if (beforeCursor) where.beyond(beforeCursor, !newestFirst);
  // reading backwards walks the list's order the other way, then turns the page round
  const readDescending = newestFirst !== backwards;
  const direction = readDescending ? 'desc' : 'asc';
  const listed = where.statement(`select ${IMAGE_COLUMNS} from "images" as i where {where} order by i.created_at ${direction}, i.id ${direction} limit $${where.values.length + 1}`, [size + 1]);
  // whether anything lies at or past a cursor, away from the page: one index probe, only when a cursor was given
  const exists = (cursor: ImageCursor | undefined, descending: boolean) => {
    if (!cursor) return Promise.resolve(false);
    const probe = base.copy();
    probe.add((next) => `(i.created_at, i.id) ${descending ? '<=' : '>='} (${next()}, ${next()})`, cursor.createdAt, cursor.id);
    return sql.query<{ found: boolean }>(probe.statement('select exists(select 1 from "images" as i where {where}) as found')).then(({ rows }) => rows[0]!.found);
  };
  // the spec's HasPreviousPage and HasNextPage: the count decides in the direction read; a cursor on
  // the other side is probed
  const [{ rows }, earlier, later] = await Promise.all([
    sql.query<ImageRow>(listed),
    backwards ? Promise.resolve(false) : exists(afterCursor, !newestFirst),
    backwards ? exists(beforeCursor, newestFirst) : Promise.resolve(false),
  ]);
  const more = rows.length > size;
  const page = rows.slice(0, size).map((row) => imageFromRow(row, owner));
  if (backwards) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: backwards ? later : more,
      hasPreviousPage: backwards ? more : earlier,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    countTotal: async () => Number((await sql.query<{ n: string }>(base.statement('select count(*) as n from "images" as i where {where}'))).rows[0]!.n),
  };
}

/**
 * An Image by prototype (type-graphql passes instances through, and converts anything else into a new
 * entity once per field resolver), with its fields as its own plain properties: set through the
 * entity's accessors, they would each start the ORM's change tracking, which a read-only page never
 * uses and which cost more than everything else about a row.
 */
export function imageFromRow(row: ImageRow, owner: User): Image {
  const image = {
    id: row.id,
    owner,
    filename: row.filename,
    format: row.format,
    width: row.width,
    height: row.height,
    bytes: row.bytes,
    sha256: row.sha256,
    createdAt: new Date(Number(row.created_ms)),
    linkVersion: row.link_version,
    placeholderHash: row.placeholder_hash,
    placeholderDataUrl: row.placeholder_data_url,
    placeholderColor: row.placeholder_color,
  };
  return Object.setPrototypeOf(image, Image.prototype) as Image;
}
