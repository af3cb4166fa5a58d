import { graphql } from '../client.js';
import { jsonObjectArgument } from '../json-argument.js';
import {
  allowOnly,
  atOption,
  type ClientOptions,
  integerOption,
  type ParsedCommandLine,
  positionals,
} from '../options.js';
import { inline, isoFromNanos, type Output, pretty } from '../output.js';

interface Entity {
  domain: string;
  type: string;
  key: string;
  version: string;
  values: Record<string, unknown>;
}

interface HistoryEvent {
  id: string;
  position: string;
  time: string;
  method: string;
  entity: Entity;
  claims: Record<string, unknown>;
}

const ENTITY_FIELDS = 'domain type key version values';
const REF = ['domain', 'type', 'key'] as const;
const path = (e: { domain: string; type: string; key: string }) => `${e.domain}/${e.type}/${e.key}`;
const short = (method: string) => method.replace(/^\/stategate\.\w+\//, '');

function entityRef(parsed: ParsedCommandLine, command: string, extra: readonly string[] = []) {
  const [domain, type, key, ...rest] = positionals(parsed, command, [...REF, ...extra]);
  return { ref: { domain: domain!, type: type!, key: key! }, rest };
}

const readableEntity = (e: Entity) => `${path(e)} version ${e.version}\n${pretty(e.values)}`;

export async function get(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'get', ['version', 'at']);
  const { ref } = entityRef(parsed, 'get');
  const input = { ...ref, version: integerOption(parsed, 'version', 0), at: atOption(parsed) };
  const data = await graphql<{ getEntity: Entity }>(
    client,
    `query($input: EntityRefInput!) { getEntity(input: $input) { ${ENTITY_FIELDS} } }`,
    { input },
  );
  out.result(data.getEntity, () => readableEntity(data.getEntity));
}

export async function set(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'set', ['version']);
  const { ref, rest } = entityRef(parsed, 'set', ['json']);
  const values = jsonObjectArgument(rest[0]!, 'the values');
  const input = { ...ref, values, version: integerOption(parsed, 'version', -1) };
  await graphql(client, 'mutation($input: EntityInput!) { setEntity(input: $input) }', { input });
  out.result({ ok: true, ...ref }, () => `set ${path(ref)}`);
}

export async function edit(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'edit', ['version']);
  const { ref, rest } = entityRef(parsed, 'edit', ['json']);
  const values = jsonObjectArgument(rest[0]!, 'the merge patch');
  const input = { ...ref, values, version: integerOption(parsed, 'version', 0) };
  const data = await graphql<{ editEntity: Entity }>(
    client,
    `mutation($input: EntityInput!) { editEntity(input: $input) { ${ENTITY_FIELDS} } }`,
    { input },
  );
  out.result(data.editEntity, () => readableEntity(data.editEntity));
}

export async function del(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'del', ['version']);
  const { ref } = entityRef(parsed, 'del');
  const input = { ...ref, version: integerOption(parsed, 'version', -1) };
  await graphql(client, 'mutation($input: EntityRefInput!) { delEntity(input: $input) }', { input });
  out.result({ ok: true, ...ref }, () => `deleted ${path(ref)}`);
}

/** The entity's events, oldest first: one search over the event log by `entity.key`. */
export async function history(parsed: ParsedCommandLine, client: ClientOptions, out: Output): Promise<void> {
  allowOnly(parsed, 'history', ['limit']);
  const { ref } = entityRef(parsed, 'history');
  const limit = Number(integerOption(parsed, 'limit', 1) ?? 100);
  const input = {
    domain: ref.domain,
    type: ref.type,
    query_string: JSON.stringify({ 'entity.key': ref.key }),
    sort: { field: 'position' },
    limit,
  };
  const data = await graphql<{ searchEvents: { events: HistoryEvent[] } }>(
    client,
    `query($input: SearchEventOpts!) { searchEvents(input: $input) {
      events { id position time method claims entity { ${ENTITY_FIELDS} } } } }`,
    { input },
  );
  const events = data.searchEvents.events;
  out.result(events, () =>
    events.length === 0
      ? `no events for ${path(ref)}`
      : events
          .map(
            (e) =>
              `#${e.position}  v${e.entity.version}  ${isoFromNanos(e.time)}  ${short(e.method).padEnd(6)}  ${inline(e.entity.values)}`,
          )
          .join('\n'),
  );
}
