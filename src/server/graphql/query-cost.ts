import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * What an operation costs this server, roughly in core calls and result values. armor's cost-limit cannot
 * see it: it multiplies only by literal `first`/`last` arguments, while here a search's size is
 * `input.limit`, often a variable. So:
 * - a field with a selection (an object the server builds) costs 1; a scalar field costs nothing (its size
 *   is bounded by what is stored, and the token and alias limits bound how many are asked for);
 * - a root field, and a field whose resolver calls core again (`Event.current`), costs CALL_COST instead;
 * - a field whose `input` has a `limit` (the searches) multiplies the cost of its selection by that limit,
 *   read from the literal or the variables and capped at the server's search cap (core never answers more).
 * So `getEntity { … }` costs 10, `searchEntities(limit: 1000) { entities { … } }` 1,010, the same search of
 * events with their `current` state 12,010, and 2,000 aliases of a one-event `searchEvents` 22,000.
 */
export const CALL_COST = 10;

/** Fields (Type.field) whose resolver calls core once per parent value. */
const CALLING_FIELDS = new Set(['Event.current']);

export interface CostOptions {
  schema: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>> | null | undefined;
  /** The largest search `limit` core serves: larger limits cost this much. */
  searchLimitCap: number;
}

/** The `input.limit` a field asks for, as given (literal or variable), if it is a number. */
function requestedLimit(node: FieldNode, variables: CostOptions['variables']): number | undefined {
  const input = node.arguments?.find((arg) => arg.name.value === 'input')?.value;
  let limit: unknown;
  if (input?.kind === Kind.OBJECT) {
    const value = input.fields.find((field) => field.name.value === 'limit')?.value;
    if (value?.kind === Kind.INT) limit = Number(value.value);
    else if (value?.kind === Kind.VARIABLE) limit = variables?.[value.name.value];
  } else if (input?.kind === Kind.VARIABLE) {
    const object = variables?.[input.name.value];
    if (object !== null && typeof object === 'object') limit = (object as Record<string, unknown>).limit;
  }
  return typeof limit === 'number' && Number.isFinite(limit) ? limit : undefined;
}

/** Whether a field's `input` argument is an input object with a `limit` field: a search. */
function isSearch(field: GraphQLField<unknown, unknown>): boolean {
  const input = field.args.find((arg) => arg.name === 'input');
  if (!input) return false;
  const type = getNamedType(input.type);
  return isInputObjectType(type) && 'limit' in type.getFields();
}

export function operationCost(operation: OperationDefinitionNode, options: CostOptions): number {
  const root = options.schema.getRootType(operation.operation);
  const fragmentsOnPath = new Set<string>();

  function selectionCost(selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, atRoot: boolean) {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total += fieldCost(selection, parent, atRoot);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? options.schema.getType(selection.typeCondition.name.value) : parent;
        total += selectionCost(selection.selectionSet, type, atRoot);
      } else {
        const name = selection.name.value;
        const fragment = options.fragments.get(name);
        // Validation refuses fragment cycles before this runs; the guard only keeps the walk finite.
        if (!fragment || fragmentsOnPath.has(name)) continue;
        fragmentsOnPath.add(name);
        total += selectionCost(
          fragment.selectionSet,
          options.schema.getType(fragment.typeCondition.name.value),
          atRoot,
        );
        fragmentsOnPath.delete(name);
      }
    }
    return total;
  }

  function fieldCost(node: FieldNode, parent: GraphQLNamedType | undefined, atRoot: boolean): number {
    const name = node.name.value;
    if (name === '__typename') return 0;
    const field = isObjectType(parent) ? parent.getFields()[name] : undefined;
    const calls = atRoot || (parent !== undefined && CALLING_FIELDS.has(`${parent.name}.${name}`));
    if (!node.selectionSet) return calls ? CALL_COST : 0;
    const own = calls ? CALL_COST : 1;
    // Introspection's meta fields (__schema, __type) are not in getFields: their selections cost 1 a field.
    const childType = field ? getNamedType(field.type) : undefined;
    let multiplier = 1;
    if (field && isSearch(field)) {
      const limit = requestedLimit(node, options.variables) ?? 1;
      multiplier = Math.min(Math.max(Math.floor(limit), 1), options.searchLimitCap);
    }
    return own + multiplier * selectionCost(node.selectionSet, childType, false);
  }

  return selectionCost(operation.selectionSet, root ?? undefined, true);
}
