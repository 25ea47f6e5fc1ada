import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from '../shared/relay.js';
import { ExpiringLink } from './expiring-link.entity.js';

@ObjectType({ simpleResolvers: true, description: 'One expiring link in a page of them.' })
export class ExpiringLinkEdge {
  @Field(() => String, { description: 'Its position in the list, for `after`.' })
  cursor!: string;

  @Field(() => ExpiringLink, { description: 'The link.' })
  node!: ExpiringLink;
}

@ObjectType({ simpleResolvers: true, description: 'A page of expiring links, newest first (Relay cursor connection, forwards).' })
export class ExpiringLinkConnection {
  @Field(() => [ExpiringLinkEdge], { description: 'The page’s links.' })
  edges!: ExpiringLinkEdge[];

  @Field(() => PageInfo, { description: 'Where the page sits in the list.' })
  pageInfo!: PageInfo;

  /** Counted only when the client asks for totalCount. */
  countTotal!: () => Promise<number>;
}
