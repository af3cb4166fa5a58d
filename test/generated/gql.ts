/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation SetCache($input: CacheInput!) {\n  setCache(input: $input)\n}\n\nquery GetCache($input: CacheRefInput!) {\n  getCache(input: $input) {\n    domain\n    key\n    value\n    exp\n  }\n}\n\nmutation DelCache($input: CacheRefInput!) {\n  delCache(input: $input)\n}": typeof types.SetCacheDocument,
    "fragment EntityFields on Entity {\n  domain\n  type\n  key\n  values\n  version\n}\n\nmutation SeedSetEntity {\n  setEntity(\n    input: {domain: \"accounting\", type: \"user\", key: \"coleman.word@example.com\", values: {first_name: \"Coleman\", last_name: \"Word\"}}\n  )\n}\n\nmutation SetEntity($input: EntityInput!) {\n  setEntity(input: $input)\n}\n\nmutation EditEntity($input: EntityInput!) {\n  editEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation RevertEntity($input: EventRefInput!) {\n  revertEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation DelEntity($input: EntityRefInput!) {\n  delEntity(input: $input)\n}\n\nquery GetEntity($input: EntityRefInput!) {\n  getEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nquery SearchEntities($input: SearchEntityOpts!) {\n  searchEntities(input: $input) {\n    entities {\n      ...EntityFields\n    }\n  }\n}": typeof types.EntityFieldsFragmentDoc,
    "fragment EventFields on Event {\n  id\n  entity {\n    ...EntityFields\n  }\n  claims\n  time\n  method\n  position\n}\n\nquery GetEvent($input: EventRefInput!) {\n  getEvent(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}\n\nquery SearchEvents($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n    }\n  }\n}\n\nquery SearchEventsWithCurrent($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n      current {\n        ...EntityFields\n      }\n    }\n  }\n}\n\nsubscription StreamEvents($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n  }\n}\n\nsubscription StreamEventsWithCurrent($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}": typeof types.EventFieldsFragmentDoc,
    "mutation LockMutex($input: MutexInput!) {\n  lockMutex(input: $input) {\n    domain\n    key\n    exp\n    token\n    fencing\n  }\n}\n\nmutation UnlockMutex($input: MutexRefInput!) {\n  unlockMutex(input: $input)\n}": typeof types.LockMutexDocument,
    "mutation BroadcastMessage($input: MessageInput!) {\n  broadcastMessage(input: $input)\n}\n\nsubscription StreamMessages($input: StreamMessageOpts!) {\n  streamMessages(input: $input) {\n    id\n    domain\n    channel\n    type\n    body\n    claims\n    time\n  }\n}": typeof types.BroadcastMessageDocument,
};
const documents: Documents = {
    "mutation SetCache($input: CacheInput!) {\n  setCache(input: $input)\n}\n\nquery GetCache($input: CacheRefInput!) {\n  getCache(input: $input) {\n    domain\n    key\n    value\n    exp\n  }\n}\n\nmutation DelCache($input: CacheRefInput!) {\n  delCache(input: $input)\n}": types.SetCacheDocument,
    "fragment EntityFields on Entity {\n  domain\n  type\n  key\n  values\n  version\n}\n\nmutation SeedSetEntity {\n  setEntity(\n    input: {domain: \"accounting\", type: \"user\", key: \"coleman.word@example.com\", values: {first_name: \"Coleman\", last_name: \"Word\"}}\n  )\n}\n\nmutation SetEntity($input: EntityInput!) {\n  setEntity(input: $input)\n}\n\nmutation EditEntity($input: EntityInput!) {\n  editEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation RevertEntity($input: EventRefInput!) {\n  revertEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation DelEntity($input: EntityRefInput!) {\n  delEntity(input: $input)\n}\n\nquery GetEntity($input: EntityRefInput!) {\n  getEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nquery SearchEntities($input: SearchEntityOpts!) {\n  searchEntities(input: $input) {\n    entities {\n      ...EntityFields\n    }\n  }\n}": types.EntityFieldsFragmentDoc,
    "fragment EventFields on Event {\n  id\n  entity {\n    ...EntityFields\n  }\n  claims\n  time\n  method\n  position\n}\n\nquery GetEvent($input: EventRefInput!) {\n  getEvent(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}\n\nquery SearchEvents($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n    }\n  }\n}\n\nquery SearchEventsWithCurrent($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n      current {\n        ...EntityFields\n      }\n    }\n  }\n}\n\nsubscription StreamEvents($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n  }\n}\n\nsubscription StreamEventsWithCurrent($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}": types.EventFieldsFragmentDoc,
    "mutation LockMutex($input: MutexInput!) {\n  lockMutex(input: $input) {\n    domain\n    key\n    exp\n    token\n    fencing\n  }\n}\n\nmutation UnlockMutex($input: MutexRefInput!) {\n  unlockMutex(input: $input)\n}": types.LockMutexDocument,
    "mutation BroadcastMessage($input: MessageInput!) {\n  broadcastMessage(input: $input)\n}\n\nsubscription StreamMessages($input: StreamMessageOpts!) {\n  streamMessages(input: $input) {\n    id\n    domain\n    channel\n    type\n    body\n    claims\n    time\n  }\n}": types.BroadcastMessageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetCache($input: CacheInput!) {\n  setCache(input: $input)\n}\n\nquery GetCache($input: CacheRefInput!) {\n  getCache(input: $input) {\n    domain\n    key\n    value\n    exp\n  }\n}\n\nmutation DelCache($input: CacheRefInput!) {\n  delCache(input: $input)\n}"): (typeof documents)["mutation SetCache($input: CacheInput!) {\n  setCache(input: $input)\n}\n\nquery GetCache($input: CacheRefInput!) {\n  getCache(input: $input) {\n    domain\n    key\n    value\n    exp\n  }\n}\n\nmutation DelCache($input: CacheRefInput!) {\n  delCache(input: $input)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment EntityFields on Entity {\n  domain\n  type\n  key\n  values\n  version\n}\n\nmutation SeedSetEntity {\n  setEntity(\n    input: {domain: \"accounting\", type: \"user\", key: \"coleman.word@example.com\", values: {first_name: \"Coleman\", last_name: \"Word\"}}\n  )\n}\n\nmutation SetEntity($input: EntityInput!) {\n  setEntity(input: $input)\n}\n\nmutation EditEntity($input: EntityInput!) {\n  editEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation RevertEntity($input: EventRefInput!) {\n  revertEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation DelEntity($input: EntityRefInput!) {\n  delEntity(input: $input)\n}\n\nquery GetEntity($input: EntityRefInput!) {\n  getEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nquery SearchEntities($input: SearchEntityOpts!) {\n  searchEntities(input: $input) {\n    entities {\n      ...EntityFields\n    }\n  }\n}"): (typeof documents)["fragment EntityFields on Entity {\n  domain\n  type\n  key\n  values\n  version\n}\n\nmutation SeedSetEntity {\n  setEntity(\n    input: {domain: \"accounting\", type: \"user\", key: \"coleman.word@example.com\", values: {first_name: \"Coleman\", last_name: \"Word\"}}\n  )\n}\n\nmutation SetEntity($input: EntityInput!) {\n  setEntity(input: $input)\n}\n\nmutation EditEntity($input: EntityInput!) {\n  editEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation RevertEntity($input: EventRefInput!) {\n  revertEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nmutation DelEntity($input: EntityRefInput!) {\n  delEntity(input: $input)\n}\n\nquery GetEntity($input: EntityRefInput!) {\n  getEntity(input: $input) {\n    ...EntityFields\n  }\n}\n\nquery SearchEntities($input: SearchEntityOpts!) {\n  searchEntities(input: $input) {\n    entities {\n      ...EntityFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment EventFields on Event {\n  id\n  entity {\n    ...EntityFields\n  }\n  claims\n  time\n  method\n  position\n}\n\nquery GetEvent($input: EventRefInput!) {\n  getEvent(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}\n\nquery SearchEvents($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n    }\n  }\n}\n\nquery SearchEventsWithCurrent($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n      current {\n        ...EntityFields\n      }\n    }\n  }\n}\n\nsubscription StreamEvents($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n  }\n}\n\nsubscription StreamEventsWithCurrent($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}"): (typeof documents)["fragment EventFields on Event {\n  id\n  entity {\n    ...EntityFields\n  }\n  claims\n  time\n  method\n  position\n}\n\nquery GetEvent($input: EventRefInput!) {\n  getEvent(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}\n\nquery SearchEvents($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n    }\n  }\n}\n\nquery SearchEventsWithCurrent($input: SearchEventOpts!) {\n  searchEvents(input: $input) {\n    events {\n      ...EventFields\n      current {\n        ...EntityFields\n      }\n    }\n  }\n}\n\nsubscription StreamEvents($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n  }\n}\n\nsubscription StreamEventsWithCurrent($input: StreamEventOpts!) {\n  streamEvents(input: $input) {\n    ...EventFields\n    current {\n      ...EntityFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LockMutex($input: MutexInput!) {\n  lockMutex(input: $input) {\n    domain\n    key\n    exp\n    token\n    fencing\n  }\n}\n\nmutation UnlockMutex($input: MutexRefInput!) {\n  unlockMutex(input: $input)\n}"): (typeof documents)["mutation LockMutex($input: MutexInput!) {\n  lockMutex(input: $input) {\n    domain\n    key\n    exp\n    token\n    fencing\n  }\n}\n\nmutation UnlockMutex($input: MutexRefInput!) {\n  unlockMutex(input: $input)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation BroadcastMessage($input: MessageInput!) {\n  broadcastMessage(input: $input)\n}\n\nsubscription StreamMessages($input: StreamMessageOpts!) {\n  streamMessages(input: $input) {\n    id\n    domain\n    channel\n    type\n    body\n    claims\n    time\n  }\n}"): (typeof documents)["mutation BroadcastMessage($input: MessageInput!) {\n  broadcastMessage(input: $input)\n}\n\nsubscription StreamMessages($input: StreamMessageOpts!) {\n  streamMessages(input: $input) {\n    id\n    domain\n    channel\n    type\n    body\n    claims\n    time\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;