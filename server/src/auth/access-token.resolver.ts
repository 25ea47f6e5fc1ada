import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { credentialOf, viewerOf, type Context } from '../graphql/context.js';
import { AccessToken } from './access-token.entity.js';
import { MAX_ACCESS_TOKENS_PER_USER } from './access-token.service.js';
import { CreateAccessTokenInput, CreatedAccessToken } from './access-token.types.js';

@Resolver(() => AccessToken)
export class AccessTokenResolver {
  @Authorized()
  @Mutation(() => CreatedAccessToken, {
    description: `A personal access token for scripts, at most ${MAX_ACCESS_TOKENS_PER_USER} per user. Needs a password sign-in (not an access token). Changing the password does not revoke access tokens.`,
  })
  createAccessToken(
    @Arg('input', () => CreateAccessTokenInput, { description: 'Its name and lifetime.' }) input: CreateAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<CreatedAccessToken> {
    return ctx.services.accessTokens.create(viewerOf(ctx), credentialOf(ctx), input);
  }

  @Authorized()
  @Query(() => [AccessToken], { description: 'Your personal access tokens, newest first, expired ones included until revoked.' })
  accessTokens(
    @Ctx() ctx: Context,
    @Arg('userId', () => ID, { nullable: true, description: 'Admins only: another user’s tokens.' }) userId?: string | null,
  ): Promise<AccessToken[]> {
    return ctx.services.accessTokens.list(viewerOf(ctx), userId ?? undefined);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Deletes the token: it is refused from now on, on every instance within a second. Another user’s token is NOT_FOUND (admins may revoke anyone’s).',
  })
  revokeAccessToken(@Arg('id', () => ID, { description: 'The token’s id, from `accessTokens`.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accessTokens.revoke(viewerOf(ctx), id);
  }
}
