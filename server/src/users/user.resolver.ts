import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { viewerOf, type Context } from '../graphql/context.js';
import { CreateUserInput, UpdateUserInput, UserList, UserListArgs } from './user.args.js';
import { User } from './user.entity.js';
import { Usage } from '../quotas/usage.types.js';
import { ForbiddenError } from '../shared/errors.js';

@Resolver(() => User)
export class UserResolver {
  @Authorized('ADMIN')
  @Query(() => UserList, { description: 'Admin only.' })
  users(@Args(() => UserListArgs) args: UserListArgs, @Ctx() ctx: Context): Promise<UserList> {
    return ctx.services.users.list(args);
  }

  @Authorized('ADMIN')
  @Query(() => User, { description: 'Admin only.' })
  user(@Arg('id', () => ID, { description: 'The user’s id.' }) id: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.get(id);
  }

  @Authorized('ADMIN')
  @Mutation(() => User, { description: 'Admin only: a new user (there is no sign-up).' })
  createUser(@Arg('input', () => CreateUserInput, { description: 'The user.' }) input: CreateUserInput, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.create(input);
  }

  @Authorized('ADMIN')
  @Mutation(() => User, { description: 'Admin only: changes a user; a new password ends their sessions.' })
  updateUser(
    @Arg('id', () => ID, { description: 'The user’s id.' }) id: string,
    @Arg('input', () => UpdateUserInput, { description: 'What changes.' }) input: UpdateUserInput,
    @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.update(id, input, viewerOf(ctx).id);
  }

  @Authorized()
  @FieldResolver(() => Usage, { description: 'What the user stores, against their tier’s limits: yours (me), or anyone’s for admins.' })
  usage(@Root() user: User, @Ctx() ctx: Context): Promise<Usage> {
    const viewer = viewerOf(ctx);
    // users are only reachable as yourself or by admins; this holds should another path appear
    if (!viewer.isAdmin && viewer.id !== user.id) throw new ForbiddenError('Only admins see other users’ usage');
    return ctx.loaders.usage.load(user.id);
  }

  @Authorized('ADMIN')
  @Mutation(() => Boolean, { description: 'Also deletes the user’s images.' })
  deleteUser(@Arg('id', () => ID, { description: 'The user’s id; their images, links and tokens go with them.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.users.delete(id, viewerOf(ctx).id);
  }
}
