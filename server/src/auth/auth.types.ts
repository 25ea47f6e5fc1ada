import { Field, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity.js';

@ObjectType({ description: 'A session: the token to send as `Authorization: Bearer`, and who it is for.' })
export class AuthPayload {
  @Field(() => String, { description: 'Send as `Authorization: Bearer <token>`.' })
  token!: string;

  @Field(() => Date, { description: 'When the token stops working; sign in again then.' })
  expiresAt!: Date;

  @Field(() => User, { description: 'Who signed in.' })
  user!: User;
}
