import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import {
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  GraphQLError,
  getOperationAST,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationCost } from './query-cost.js';

/** What one GraphQL operation may ask for (STATEGATE_GRAPHQL_*). */
export interface GraphqlLimits {
  /** Deepest selection (fields within fields). */
  maxDepth: number;
  /** Aliased fields in one operation. */
  maxAliases: number;
  /** Lexical tokens in one document; parsing stops at the first one past it. */
  maxTokens: number;
  /** Directives in one operation. */
  maxDirectives: number;
  /** The most an operation may cost (see query-cost.ts). */
  maxCost: number;
  /** `__schema` / `__type` queries and "Did you mean …" suggestions. */
  introspection: boolean;
}

export const DEFAULT_GRAPHQL_LIMITS: Readonly<GraphqlLimits> = {
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2000,
  maxDirectives: 20,
  maxCost: 5000,
  introspection: true,
};

/**
 * Refuses an operation that costs more than `maxCost`. It runs where the variables are known (a search's
 * `limit` is often one), at execute and subscribe, on HTTP, SSE and graphql-ws alike: validation results
 * are cached per document, so a variable-dependent check cannot be a validation rule.
 */
function useQueryCost(maxCost: number, searchLimitCap: number): Plugin {
  const check = (args: ExecutionArgs): ExecutionResult | undefined => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return undefined; // execution refuses it in its own words
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of args.document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const cost = operationCost(operation, {
      schema: args.schema,
      fragments,
      variables: args.variableValues,
      searchLimitCap,
    });
    if (cost <= maxCost) return undefined;
    const message =
      `Query cost limit of ${maxCost} exceeded, found ${cost} ` +
      `(a search costs its limit times its selection: ask for fewer items or fields)`;
    return { errors: [new GraphQLError(message, { extensions: { code: 'INVALID_ARGUMENT' } })] };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}

/**
 * armor's validation rules throw their error by default, out of graphql-js' `validate`: Yoga turns that into
 * a request error, but graphql-ws would close the whole socket (4500). Reported, it is a validation error
 * like any other, everywhere.
 */
const reported = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

/** Refuses `__schema` and `__type` (graphql-js' own rule); `__typename` stays. */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * The envelop plugins that bound what one operation may ask of the server, applied wherever Yoga's envelop
 * parses, validates and executes: GraphQL over HTTP, SSE and graphql-ws. Each refusal is a request error
 * (INVALID_ARGUMENT, HTTP 400) whose message names the limit and the value found.
 */
export function operationLimitPlugins(limits: GraphqlLimits, searchLimitCap: number): Plugin[] {
  // armor's plugins are typed against @envelop/core's Plugin, which Yoga's extends.
  const armor = (plugin: unknown) => plugin as Plugin;
  return [
    // Throws from the lexer at the first token past the limit, before the rest of the document is read.
    armor(maxTokensPlugin({ n: limits.maxTokens })),
    // Introspection's own nesting (GraphiQL's query) is not the client's choice: not counted.
    armor(maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...reported })),
    armor(maxAliasesPlugin({ n: limits.maxAliases, ...reported })),
    armor(maxDirectivesPlugin({ n: limits.maxDirectives, ...reported })),
    useQueryCost(limits.maxCost, searchLimitCap),
    ...(limits.introspection ? [] : [useNoIntrospection(), armor(blockFieldSuggestionsPlugin({ mask: '' }))]),
  ];
}
