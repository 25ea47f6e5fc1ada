import { Field, ID, InterfaceType, ObjectType } from 'type-graphql';

/**
 * What Relay asks of a schema (the GraphQL Cursor Connections and Global Object Identification
 * specifications): a page's position in the whole list, and an id any object can be fetched again by.
 */
@ObjectType({ simpleResolvers: true, description: 'Where a page of a connection sits in the whole list.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether items follow this page in the list’s order.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Whether items come before this page in the list’s order.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'The cursor of the page’s first item; null for an empty page.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the page’s last item; null for an empty page.' })
  endCursor!: string | null;
}

/** An object `node(id:)` fetches again: ids are UUIDs, unique across every type. */
@InterfaceType({ description: 'An object with an id that `node(id:)` fetches again.' })
export abstract class Node {
  @Field(() => ID, { description: 'Unique across every type of the schema.' })
  id!: string;
}
