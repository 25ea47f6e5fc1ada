import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { User } from './user.entity.js';

export enum UserSortField {
  USERNAME = 'username',
  IS_ADMIN = 'isAdmin',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
registerEnumType(UserSortField, {
  name: 'UserSortField',
  description: 'What the user list sorts by.',
  valuesConfig: { USERNAME: { description: 'Username.' }, IS_ADMIN: { description: 'Admins first or last.' }, CREATED_AT: { description: 'Creation time.' }, UPDATED_AT: { description: 'Last change.' } },
});

@InputType({ description: 'The order of the user list; ties are broken by id.' })
export class UserSort {
  @Field(() => UserSortField, { description: 'What to sort by.' })
  field!: UserSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.ASC, description: 'Which way.' })
  order: SortOrder = SortOrder.ASC;
}

@InputType({ description: 'Narrows the user list; every field given must match.' })
export class UserFilter {
  @Field(() => String, { nullable: true, description: 'Part of the username, any case.' })
  q?: string;

  @Field(() => ID, { nullable: true, description: 'The user’s tier.' })
  tierId?: string;

  @Field(() => Boolean, { nullable: true, description: 'Whether the user is an admin.' })
  isAdmin?: boolean;

  @Field(() => [ID], { nullable: true, description: 'Only these users (react-admin’s getMany).' })
  ids?: string[];
}

@ArgsType()
export class UserListArgs extends PageArgs {
  @Field(() => UserSort, { nullable: true, description: 'By username unless given.' })
  sort?: UserSort;

  @Field(() => UserFilter, { nullable: true, description: 'Every user unless given.' })
  filter?: UserFilter;
}

@ObjectType({ simpleResolvers: true, description: 'A page of the user list.' })
export class UserList {
  @Field(() => [User], { description: 'The page’s users.' })
  nodes!: User[];

  @Field(() => Int, { description: 'How many users match the filter, over all pages.' })
  totalCount!: number;
}

@InputType({ description: 'A new user.' })
export class CreateUserInput {
  @Field(() => String, { description: 'Letters, digits and . _ @ -; stored in lower case.' })
  username!: string;

  @Field(() => String, { description: '8 to 256 characters.' })
  password!: string;

  @Field(() => ID, { nullable: true, description: 'Defaults to the Basic tier.' })
  tierId?: string;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Whether the user is an admin.' })
  isAdmin: boolean = false;
}

@InputType({ description: 'Changes to a user; fields left out stay as they are.' })
export class UpdateUserInput {
  @Field(() => String, { nullable: true, description: 'Lower-cased; 1 to 64 characters without spaces, unique.' })
  username?: string;

  @Field(() => String, { nullable: true, description: 'Signs the user out everywhere.' })
  password?: string;

  @Field(() => ID, { nullable: true, description: 'The user’s tier.' })
  tierId?: string;

  @Field(() => Boolean, { nullable: true, description: 'Whether the user is an admin.' })
  isAdmin?: boolean;
}
