import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { AuditEvent } from './audit-event.entity.js';
import { AuditEventList, AuditEventListArgs } from './audit.args.js';

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized('ADMIN')
  @Query(() => AuditEventList, { description: 'Admin only: the audit log of admin actions, newest first unless sorted otherwise. Read only: events cannot be edited or deleted.' })
  auditEvents(@Args(() => AuditEventListArgs) args: AuditEventListArgs, @Ctx() ctx: Context): Promise<AuditEventList> {
    return ctx.services.audit.list(args);
  }
}
