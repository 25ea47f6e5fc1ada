import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { viewerOf, type Context } from '../graphql/context.js';
import { CreateUserInput, UpdateUserInput, UserList, UserListArgs } from './user.args.js';
import { User } from './user.entity.js';

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

  @Authorized('ADMIN')
  @Mutation(() => Boolean, { description: 'Also deletes the user’s images.' })
  deleteUser(@Arg('id', () => ID, { description: 'The user’s id; their images, links and tokens go with them.' }) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.users.delete(id, viewerOf(ctx).id);
  }
}
