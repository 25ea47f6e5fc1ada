import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  type FieldNode,
  type GraphQLFormattedError,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { OperationLimits } from '../config/env.js';
import { MAX_PAGE_SIZE } from '../shared/list-args.js';

export type { OperationLimits } from '../config/env.js';

/** Fields that may appear once per operation: aliases must not turn one request into many password guesses. */
const ONCE_PER_OPERATION = new Set(['login']);

/** Arguments that size a list; both `limit` (admin lists) and `first` (images) cap at MAX_PAGE_SIZE. */
const PAGE_ARGS = ['limit', 'first'];
/** Arguments whose list asks for one item each (`imagesBySha256`): the literal's length, or MAX_PAGE_SIZE for a variable. */
const LIST_ARGS = ['sha256'];

export type LimitReason = 'MAX_DEPTH' | 'MAX_COST' | 'MAX_ALIASES' | 'MAX_DIRECTIVES' | 'MAX_TOKENS' | 'ONCE_PER_OPERATION';

interface Tally {
  depth: number;
  cost: number;
  aliases: number;
  directives: number;
  /** Occurrences of each ONCE_PER_OPERATION field. */
  once: Map<string, number>;
}

const empty = (): Tally => ({ depth: 0, cost: 0, aliases: 0, directives: 0, once: new Map() });

function add(into: Tally, other: Tally): void {
  into.depth = Math.max(into.depth, other.depth);
  into.cost += other.cost;
  into.aliases += other.aliases;
  into.directives += other.directives;
  for (const [name, n] of other.once) into.once.set(name, (into.once.get(name) ?? 0) + n);
}

/**
 * One validation rule for every operation limit. Cost: a root field or a field of object type costs 1,
 * a scalar field 0, and a field with a `limit`/`first` argument multiplies the cost of what it selects by
 * that page size: the literal value, the argument's default when absent, or MAX_PAGE_SIZE for a variable,
 * since validation runs once per document, before any variable is known; a field that answers one item
 * per element of a list argument (`imagesBySha256`) multiplies by that list's length. Introspection is not counted
 * (production turns it off). Fragments are counted where they are spread, each computed once, so a
 * fragment that spreads others many times cannot make the count itself expensive.
 */
export function operationLimitsRule(limits: Omit<OperationLimits, 'maxTokens'>): ValidationRule {
  return (context: ValidationContext) => {
    const schema = context.getSchema();
    const rootTypes = new Set<GraphQLNamedType | null | undefined>([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
    // undefined while a fragment is being counted: a cycle, which the standard NoFragmentCycles rule reports
    const fragments = new Map<string, Tally | undefined>();

    const countSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): Tally => {
      const tally = empty();
      for (const selection of set.selections) {
        tally.directives += selection.directives?.length ?? 0;
        if (selection.kind === Kind.FIELD) {
          add(tally, countField(selection, parent));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
          add(tally, countSet(selection.selectionSet, type ?? undefined));
        } else {
          add(tally, countFragment(selection.name.value));
        }
      }
      return tally;
    };

    const countFragment = (name: string): Tally => {
      if (fragments.has(name)) return fragments.get(name) ?? empty();
      const fragment = context.getFragment(name);
      if (!fragment) return empty();
      fragments.set(name, undefined);
      const tally = countSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
      tally.directives += fragment.directives?.length ?? 0;
      fragments.set(name, tally);
      return tally;
    };

    const countField = (field: FieldNode, parent: GraphQLNamedType | undefined): Tally => {
      const name = field.name.value;
      const tally = empty();
      if (name === '__schema' || name === '__type') return tally;
      tally.aliases = field.alias ? 1 : 0;
      const isRoot = parent !== undefined && rootTypes.has(parent);
      if (isRoot && ONCE_PER_OPERATION.has(name) && parent === schema.getMutationType()) tally.once.set(name, 1);
      if (name.startsWith('__')) return tally;
      const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
      const type = definition ? getNamedType(definition.type) : undefined;
      const children = field.selectionSet ? countSet(field.selectionSet, isCompositeType(type) ? type : undefined) : empty();
      add(tally, children);
      tally.depth = 1 + children.depth;
      tally.cost = (isRoot || field.selectionSet ? 1 : 0) + pageSize(field, definition?.args ?? []) * children.cost;
      return tally;
    };

    return {
      OperationDefinition(operation) {
        const root = schema.getRootType(operation.operation) ?? undefined;
        const tally = countSet(operation.selectionSet, root);
        tally.directives += (operation.directives?.length ?? 0) + operation.variableDefinitions!.reduce((n, v) => n + (v.directives?.length ?? 0), 0);
        for (const error of violations(tally, limits, operation)) context.reportError(error);
      },
    };
  };
}

function pageSize(field: FieldNode, args: ReadonlyArray<{ name: string; defaultValue?: unknown }>): number {
  const arg = args.find((a) => PAGE_ARGS.includes(a.name));
  const listArg = args.find((a) => LIST_ARGS.includes(a.name));
  if (!arg && listArg) {
    const value = field.arguments?.find((a) => a.name.value === listArg.name)?.value;
    return value?.kind === Kind.LIST ? Math.min(value.values.length, MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
  }
  if (!arg) return 1;
  const value = field.arguments?.find((a) => a.name.value === arg.name)?.value;
  const requested =
    value === undefined ? (typeof arg.defaultValue === 'number' ? arg.defaultValue : MAX_PAGE_SIZE) : value.kind === Kind.INT ? Number(value.value) : MAX_PAGE_SIZE;
  // beyond the page cap the resolver refuses the request anyway, with a clearer message than a cost
  return Math.min(Math.max(requested, 0), MAX_PAGE_SIZE);
}

function violations(tally: Tally, limits: Omit<OperationLimits, 'maxTokens'>, operation: OperationDefinitionNode): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const refuse = (message: string, reason: LimitReason, limit: number) =>
    errors.push(new GraphQLError(message, { nodes: operation, extensions: { reason, limit } }));
  if (tally.depth > limits.maxDepth) {
    refuse(`The operation is nested ${tally.depth} levels deep; at most ${limits.maxDepth} are allowed.`, 'MAX_DEPTH', limits.maxDepth);
  }
  if (tally.cost > limits.maxCost) {
    refuse(
      `The operation would cost ${tally.cost}; at most ${limits.maxCost} is allowed. Ask for fewer items (limit, first) or fewer fields.`,
      'MAX_COST',
      limits.maxCost,
    );
  }
  if (tally.aliases > limits.maxAliases) {
    refuse(`The operation uses ${tally.aliases} aliases; at most ${limits.maxAliases} are allowed.`, 'MAX_ALIASES', limits.maxAliases);
  }
  if (tally.directives > limits.maxDirectives) {
    refuse(`The operation uses ${tally.directives} directives; at most ${limits.maxDirectives} are allowed.`, 'MAX_DIRECTIVES', limits.maxDirectives);
  }
  for (const [name, n] of tally.once) {
    if (n > 1) refuse(`\`${name}\` may appear only once per operation; it appears ${n} times.`, 'ONCE_PER_OPERATION', 1);
  }
  return errors;
}

// graphql-js words it "more that" (sic) in 16.x; accept the spelling it may be fixed to
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens/;

/**
 * The parser's token-limit error as a validation failure like the other limits: graphql-js raises it as a
 * syntax error (GRAPHQL_PARSE_FAILED), though nothing is wrong with the syntax. The HTTP status is 400 either way.
 */
export function asTokenLimitError(formatted: GraphQLFormattedError): GraphQLFormattedError | undefined {
  if (formatted.extensions?.code !== 'GRAPHQL_PARSE_FAILED') return undefined;
  const match = TOKEN_LIMIT.exec(formatted.message);
  if (!match) return undefined;
  const limit = Number(match[1]);
  return {
    message: `The operation has more than ${limit} tokens; at most ${limit} are allowed.`,
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'MAX_TOKENS' satisfies LimitReason, limit },
  };
}

/** The graphql-js "Did you mean …?" hint, which names parts of the schema, removed from a message. */
export const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean .+?\?$/s, '');
