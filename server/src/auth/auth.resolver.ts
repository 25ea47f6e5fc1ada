import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { viewerOf, type Context } from '../graphql/context.js';
import { User } from '../users/user.entity.js';
import { AuthPayload } from './auth.types.js';

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload)
  login(@Arg('username', () => String) username: string, @Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.login(username, password, ctx.clientAddress);
  }

  @Authorized()
  @Query(() => User, { description: 'The signed-in user.' })
  me(@Ctx() ctx: Context): User {
    return viewerOf(ctx);
  }
}
