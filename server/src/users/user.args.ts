import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs, SortOrder } from '../shared/list-args.js';
import { User } from './user.entity.js';

export enum UserSortField {
  USERNAME = 'username',
  IS_ADMIN = 'isAdmin',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
registerEnumType(UserSortField, { name: 'UserSortField' });

@InputType()
export class UserSort {
  @Field(() => UserSortField)
  field!: UserSortField;

  @Field(() => SortOrder, { defaultValue: SortOrder.ASC })
  order: SortOrder = SortOrder.ASC;
}

@InputType()
export class UserFilter {
  @Field(() => String, { nullable: true, description: 'Part of the username, any case.' })
  q?: string;

  @Field(() => ID, { nullable: true })
  tierId?: string;

  @Field(() => Boolean, { nullable: true })
  isAdmin?: boolean;

  @Field(() => [ID], { nullable: true })
  ids?: string[];
}

@ArgsType()
export class UserListArgs extends PageArgs {
  @Field(() => UserSort, { nullable: true })
  sort?: UserSort;

  @Field(() => UserFilter, { nullable: true })
  filter?: UserFilter;
}

@ObjectType({ simpleResolvers: true })
export class UserList {
  @Field(() => [User])
  nodes!: User[];

  @Field(() => Int)
  totalCount!: number;
}

@InputType()
export class CreateUserInput {
  @Field(() => String, { description: 'Letters, digits and . _ @ -; stored in lower case.' })
  username!: string;

  @Field(() => String, { description: '8 to 256 characters.' })
  password!: string;

  @Field(() => ID, { nullable: true, description: 'Defaults to the Basic tier.' })
  tierId?: string;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  isAdmin: boolean = false;
}

@InputType()
export class UpdateUserInput {
  @Field(() => String, { nullable: true })
  username?: string;

  @Field(() => String, { nullable: true, description: 'Signs the user out everywhere.' })
  password?: string;

  @Field(() => ID, { nullable: true })
  tierId?: string;

  @Field(() => Boolean, { nullable: true })
  isAdmin?: boolean;
}
