import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/graphql/schema.js';
import { CREATE_USER, code, tok } from '../support/admin-api.js';
import { ADMIN, TestServer } from '../support/test-server.js';

// Issue 17: the audit log as admins read it (filters, sort, pages), what others get, and the daily
// prune under the manual clock.

const EVENTS = `query($filter: AuditEventFilter, $sort: AuditEventSort, $offset: Int, $limit: Int) {
  auditEvents(filter: $filter, sort: $sort, offset: $offset, limit: $limit) {
    totalCount nodes { id occurredAt actorId actorName action targetType targetId before after requestId clientAddress } } }`;

let server: TestServer;
let adminId: string;
const tiers: Array<{ id: string; name: string }> = [];
let started: Date;

/** Moves the clock, and signs the admin in again when their token would have expired meanwhile. */
async function setClock(to: Date): Promise<void> {
  server.clock.set(to);
  server.adminToken = await server.login(ADMIN.username, ADMIN.password);
}
const days = (n: number) => new Date(started.getTime() + n * 86_400_000);

beforeAll(async () => {
  server = await TestServer.start();
  adminId = (await server.gql('{ me { id } }', {}, server.adminToken)).data.me.id;
  started = server.clock.now();
  // a day apart each: three tiers created, the first one changed twice
  for (let i = 0; i < 3; i++) {
    await setClock(days(i + 1));
    tiers.push(await server.createTier({ name: `Logged-${i}-${tok()}`, thumbnailHeights: [100 + i] }));
  }
  for (const [i, heights] of [[150], [150, 250]].entries()) {
    await setClock(days(i + 4));
    expect((await server.updateTier(tiers[0]!.id, { thumbnailHeights: heights })).errors).toBeUndefined();
  }
});
afterAll(async () => {
  await server?.stop();
});

const list = (variables: Record<string, unknown>, token = server.adminToken) => server.gql(EVENTS, variables, token);
const actions = (result: Awaited<ReturnType<typeof list>>) => result.data.auditEvents.nodes.map((n: { action: string; targetId: string }) => `${n.action}:${n.targetId}`);

describe('auditEvents', () => {
  it('lists every event newest first, with the total, a page at a time', async () => {
    const all = await list({ limit: 100 });
    expect(all.errors).toBeUndefined();
    const times = all.data.auditEvents.nodes.map((n: { occurredAt: string }) => n.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.data.auditEvents.totalCount).toBe(6);
    expect(actions(all).slice(0, 2)).toEqual([`TIER_UPDATE:${tiers[0]!.id}`, `TIER_UPDATE:${tiers[0]!.id}`]);
    expect(all.data.auditEvents.nodes.at(-1)).toMatchObject({ action: 'USER_CREATE', actorId: 'system', actorName: null });
    const page = await list({ offset: 1, limit: 2 });
    expect(page.data.auditEvents.totalCount).toBe(6);
    expect(actions(page)).toEqual(actions(all).slice(1, 3));
    const oldest = await list({ sort: { field: 'OCCURRED_AT', order: 'ASC' }, limit: 1 });
    expect(actions(oldest)).toEqual([actions(all).at(-1)]);
  });

  it('shows what changed, who did it, from where', async () => {
    const result = await list({ filter: { targetType: 'TIER', targetId: tiers[0]!.id }, limit: 10 });
    expect(result.data.auditEvents.nodes).toMatchObject([
      { action: 'TIER_UPDATE', actorId: adminId, actorName: 'root', before: { thumbnailHeights: [150] }, after: { thumbnailHeights: [150, 250] }, clientAddress: expect.stringMatching(/127\.0\.0\.1/), requestId: expect.any(String) },
      { action: 'TIER_UPDATE', before: { thumbnailHeights: [100] }, after: { thumbnailHeights: [150] } },
      { action: 'TIER_CREATE', before: null, after: { name: tiers[0]!.name, thumbnailHeights: [100] } },
    ]);
  });

  it.each([
    ['actor', { actorId: 'ADMIN' }, 5],
    ['the system as actor', { actorId: 'system' }, 1],
    ['action', { action: 'TIER_CREATE' }, 3],
    ['target type', { targetType: 'USER' }, 1],
    ['a time window, from inclusive and to exclusive', { from: 'DAY2', to: 'DAY4' }, 2],
    ['from alone', { from: 'DAY4' }, 2],
    ['several fields at once', { action: 'TIER_UPDATE', targetId: 'TIER0', from: 'DAY5' }, 1],
  ])('filters by %s', async (_label, filter, expected) => {
    const day = (n: number) => days(n).toISOString();
    const resolved = Object.fromEntries(
      Object.entries(filter).map(([key, value]) => [key, value === 'ADMIN' ? adminId : value === 'TIER0' ? tiers[0]!.id : String(value).startsWith('DAY') ? day(Number(String(value).slice(3))) : value]),
    );
    const result = await list({ filter: resolved });
    expect(result.errors).toBeUndefined();
    expect(result.data.auditEvents.totalCount).toBe(expected);
  });

  it.each([
    ['a malformed actor id', { actorId: 'not-a-uuid' }],
    ['an unknown actor', { actorId: randomUUID() }],
    ['a malformed target id', { targetId: "' or 1=1 --" }],
    ['a window that ends before it starts', { from: '2026-07-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }],
  ])('answers an empty list for %s', async (_label, filter) => {
    const result = await list({ filter });
    expect(result.errors).toBeUndefined();
    expect(result.data.auditEvents).toEqual({ totalCount: 0, nodes: [] });
  });

  it.each([
    ['an unknown action', { filter: { action: 'TIER_EXPLODE' } }, /filter\.action|TIER_EXPLODE/],
    ['a malformed date', { filter: { from: 'yesterday' } }, /filter\.from|yesterday/],
    ['a page too large', { limit: 101 }, /limit/],
    ['an unknown sort field', { sort: { field: 'BEFORE' } }, /BEFORE/],
  ])('refuses %s with BAD_USER_INPUT naming it, never a 5xx', async (_label, variables, names) => {
    const result = await list(variables);
    expect(result.status).toBeLessThan(500);
    expect(code(result)).toBe('BAD_USER_INPUT');
    expect(`${result.errors?.[0]?.message} ${result.errors?.[0]?.extensions?.field ?? ''}`).toMatch(names);
  });

  it('is for admins only: FORBIDDEN for a user, UNAUTHENTICATED without a token', async () => {
    // a second after the last tier update, so the events' order never rests on a tie
    server.clock.advance(1000);
    const user = await server.createUser();
    expect(code(await list({}, user.token))).toBe('FORBIDDEN');
    expect(code(await list({}, ''))).toBe('UNAUTHENTICATED');
  });

  it('offers no way to edit or delete an event', async () => {
    const schema = await createSchema();
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    expect(mutations.filter((name) => /audit/i.test(name))).toEqual([]);
    const event = Object.keys((schema.getType('AuditEvent') as { getFields(): object }).getFields());
    expect(event).not.toContain('password');
  });
});

describe('the audit prune', () => {
  it('deletes events older than AUDIT_RETENTION_DAYS (365) and keeps the rest', async () => {
    // every event so far is 1 to 5 days after `started`; move to 365 days after the third one
    await setClock(days(3 + 365));
    expect((await server.gql(CREATE_USER, { input: { username: `late-${tok()}`, password: 'late-password-1' } }, server.adminToken)).errors).toBeUndefined();
    await server.server.deps.jobs.pruneAudit();
    expect(await server.drainJobs()).toBeGreaterThanOrEqual(1);
    const left = await list({ sort: { field: 'OCCURRED_AT', order: 'ASC' }, limit: 100 });
    // the events of days 0 (the system's), 1 and 2 are past; day 3 is exactly 365 days old and stays
    const kept = [`TIER_CREATE:${tiers[2]!.id}`, `TIER_UPDATE:${tiers[0]!.id}`, `TIER_UPDATE:${tiers[0]!.id}`];
    expect(actions(left).slice(0, 3).sort()).toEqual(kept.sort());
    // and what came later: the user the FORBIDDEN test made on day 5, the one made just now
    expect(actions(left).slice(3)).toEqual([expect.stringMatching(/^USER_CREATE:/), expect.stringMatching(/^USER_CREATE:/)]);
  });
});
