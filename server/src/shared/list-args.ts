import { ArgsType, Field, Int, registerEnumType } from 'type-graphql';
import { BadUserInputError } from './errors.js';

export enum SortOrder {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortOrder, { name: 'SortOrder', description: 'Which way a list is sorted.', valuesConfig: { ASC: { description: 'Smallest first.' }, DESC: { description: 'Largest first.' } } });

export const MAX_PAGE_SIZE = 100;

/** Offset paging for the admin lists (react-admin pages by number). */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 0, description: 'Rows to skip: (page - 1) × limit.' })
  offset: number = 0;

  @Field(() => Int, { nullable: true, defaultValue: 25, description: `At most ${MAX_PAGE_SIZE}.` })
  limit: number = 25;
}

export function checkPage({ offset, limit }: PageArgs): { offset: number; limit: number } {
  if (!Number.isInteger(offset) || offset < 0) throw new BadUserInputError('offset must be 0 or more', { field: 'offset' });
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`limit must be between 0 and ${MAX_PAGE_SIZE}`, { field: 'limit' });
  }
  return { offset, limit };
}

/** For LIKE patterns built from user text: its wildcards match themselves. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
