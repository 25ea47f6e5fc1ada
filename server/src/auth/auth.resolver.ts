import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { credentialOf, viewerOf, type Context } from '../graphql/context.js';
import { User } from '../users/user.entity.js';
import { AuthPayload } from './auth.types.js';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Signs in. An invalid or expired token sent along is ignored here, so a client can always sign in again.' })
  login(
    @Arg('username', () => String, { description: 'Any case.' }) username: string,
    @Arg('password', () => String, { description: 'The user’s password.' }) password: string,
    @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.login(username, password, ctx.clientAddress);
  }

  @Authorized()
  @Mutation(() => AuthPayload, {
    description:
      'Sets your password. A wrong currentPassword is BAD_USER_INPUT (reason WRONG_PASSWORD) and counts as a failed login. Ends all your sessions, on every instance within a second, and returns a new one; access tokens keep working.',
  })
  changePassword(
    @Arg('currentPassword', () => String, { description: 'Your password now.' }) currentPassword: string,
    @Arg('newPassword', () => String, { description: '8 to 256 characters.' }) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return ctx.services.auth.changePassword(viewerOf(ctx), currentPassword, newPassword, ctx.clientAddress);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Ends the credential this request was sent with: a session’s token stops working (other sessions go on), or an access token is revoked.',
  })
  logout(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.auth.logout(viewerOf(ctx), credentialOf(ctx));
  }

  @Authorized()
  @Query(() => User, { description: 'The signed-in user.' })
  me(@Ctx() ctx: Context): User {
    return viewerOf(ctx);
  }
}
