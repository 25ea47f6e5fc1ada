import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { AccessToken } from './access-token.entity.js';
import { MAX_ACCESS_TOKEN_NAME, MAX_EXPIRES_IN_DAYS, MIN_EXPIRES_IN_DAYS } from './access-token.service.js';

@InputType({ description: 'A new personal access token.' })
export class CreateAccessTokenInput {
  @Field(() => String, { description: `1 to ${MAX_ACCESS_TOKEN_NAME} characters, e.g. what the script it is for does.` })
  name!: string;

  @Field(() => Int, { nullable: true, description: `Days it works, ${MIN_EXPIRES_IN_DAYS} to ${MAX_EXPIRES_IN_DAYS}; null or left out: until revoked.` })
  expiresInDays?: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A personal access token just created, with its secret.' })
export class CreatedAccessToken {
  @Field(() => String, {
    description: 'The secret, shown only now: send it as `Authorization: Bearer <token>`. Starts with `imgapi_pat_`, so secret scanners can find it.',
  })
  token!: string;

  @Field(() => AccessToken, { description: 'The token as `accessTokens` lists it.' })
  accessToken!: AccessToken;
}
