import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from '../shared/relay.js';
import { ExpiringLink } from './expiring-link.entity.js';

@ObjectType({ simpleResolvers: true })
export class ExpiringLinkEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ExpiringLink)
  node!: ExpiringLink;
}

@ObjectType({ simpleResolvers: true })
export class ExpiringLinkConnection {
  @Field(() => [ExpiringLinkEdge])
  edges!: ExpiringLinkEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Counted only when the client asks for totalCount. */
  countTotal!: () => Promise<number>;
}
