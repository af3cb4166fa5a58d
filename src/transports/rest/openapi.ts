/**
 * The OpenAPI 3.1 document of the REST routes, made from the proto: paths and verbs from the
 * `google.api.http` rules, parameters and schemas from the message descriptors (in their protojson
 * form), descriptions from the proto's comments (src/generated/stategate_docs.ts).
 */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { Code } from '../../core/errors.js';
import { Method } from '../../core/methods.js';
import { stategateDocs, stategateFileDoc } from '../../generated/stategate_docs.js';
import { STATEGATE_VERSION } from '../../version.js';
import type { RestRoute } from './routes.js';
import { httpStatusOf } from './status.js';

type Json = Record<string, unknown>;

const docs: Readonly<Record<string, string>> = stategateDocs;

const INT64 = { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' };
const UINT64 = { type: 'string', format: 'uint64', pattern: '^[0-9]+$' };

/** Well-known types have their own JSON forms; they are written inline rather than as components. */
const WELL_KNOWN: Readonly<Record<string, Json>> = {
  'google.protobuf.Struct': { type: 'object', additionalProperties: true, description: 'Any JSON object.' },
  'google.protobuf.Value': { description: 'Any JSON value.' },
  'google.protobuf.ListValue': { type: 'array', items: {}, description: 'Any JSON array.' },
  'google.protobuf.Timestamp': {
    type: 'string',
    format: 'date-time',
    description: 'An RFC 3339 time in UTC, e.g. 2030-01-01T00:00:00Z.',
  },
  'google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$' },
  'google.protobuf.Empty': { type: 'object', description: 'Nothing: `{}`.' },
  'google.protobuf.FieldMask': { type: 'string' },
  'google.protobuf.StringValue': { type: 'string' },
  'google.protobuf.BytesValue': { type: 'string', contentEncoding: 'base64' },
  'google.protobuf.BoolValue': { type: 'boolean' },
  'google.protobuf.Int32Value': { type: 'integer', format: 'int32' },
  'google.protobuf.UInt32Value': { type: 'integer', format: 'uint32', minimum: 0 },
  'google.protobuf.Int64Value': INT64,
  'google.protobuf.UInt64Value': UINT64,
  'google.protobuf.DoubleValue': { type: 'number', format: 'double' },
  'google.protobuf.FloatValue': { type: 'number', format: 'float' },
};

function scalarSchema(scalar: ScalarType): Json {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: 'string' };
    case ScalarType.BOOL:
      return { type: 'boolean' };
    case ScalarType.BYTES:
      return { type: 'string', contentEncoding: 'base64' };
    case ScalarType.DOUBLE:
      return { type: 'number', format: 'double' };
    case ScalarType.FLOAT:
      return { type: 'number', format: 'float' };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: 'integer', format: 'int32' };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: 'integer', format: 'uint32', minimum: 0 };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { ...UINT64 };
    default:
      // int64, sint64, sfixed64: protojson writes them as decimal strings (and reads numbers too).
      return { ...INT64 };
  }
}

const ref = (message: DescMessage) => ({ $ref: `#/components/schemas/${message.typeName}` });

/** Collects every message schema the document refers to, by full name. */
class Components {
  readonly schemas: Record<string, Json> = {};

  messageRef(message: DescMessage): Json {
    const known = WELL_KNOWN[message.typeName];
    if (known) return { ...known };
    if (!(message.typeName in this.schemas)) {
      this.schemas[message.typeName] = {}; // placeholder first: messages may refer to themselves
      this.schemas[message.typeName] = this.objectSchema(message);
    }
    return ref(message);
  }

  /** The message's JSON object; `exclude` leaves out fields (by proto name) given elsewhere (the path). */
  objectSchema(message: DescMessage, exclude: ReadonlySet<string> = new Set()): Json {
    const properties: Record<string, Json> = {};
    for (const field of message.fields) {
      if (exclude.has(field.name)) continue;
      properties[field.jsonName] = this.fieldSchema(field);
    }
    const description = docs[message.typeName];
    return { type: 'object', ...(description && { description }), properties };
  }

  fieldSchema(field: DescField): Json {
    const description = fieldDoc(field);
    return { ...this.valueSchema(field), ...(description && { description }) };
  }

  private valueSchema(field: DescField): Json {
    switch (field.fieldKind) {
      case 'scalar':
        return scalarSchema(field.scalar);
      case 'enum':
        return enumSchema(field.enum.values.map((v) => v.name));
      case 'message':
        return this.messageRef(field.message);
      case 'list': {
        const items =
          field.listKind === 'scalar'
            ? scalarSchema(field.scalar)
            : field.listKind === 'enum'
              ? enumSchema(field.enum.values.map((v) => v.name))
              : this.messageRef(field.message);
        return { type: 'array', items };
      }
      case 'map': {
        const values =
          field.mapKind === 'scalar'
            ? scalarSchema(field.scalar)
            : field.mapKind === 'enum'
              ? enumSchema(field.enum.values.map((v) => v.name))
              : this.messageRef(field.message);
        return { type: 'object', additionalProperties: values };
      }
    }
  }
}

function enumSchema(names: string[]): Json {
  return { type: 'string', enum: names };
}

function fieldDoc(field: DescField): string | undefined {
  return docs[`${field.parent.typeName}.${field.name}`];
}

/**
 * The query parameters of a message's fields not bound by the path: scalars by their proto name
 * (`query_string`), nested messages' fields with dots (`sort.field`).
 */
function queryParameters(message: DescMessage, exclude: ReadonlySet<string>, prefix = '', depth = 0): Json[] {
  const parameters: Json[] = [];
  for (const field of message.fields) {
    const name = `${prefix}${field.name}`;
    if (exclude.has(name)) continue;
    const description = fieldDoc(field);
    const withDoc = (schema: Json) => ({
      name,
      in: 'query',
      ...(description && {
        description:
          field.jsonName === field.name
            ? description
            : `${description}\n\n(Also accepted as \`${prefix}${field.jsonName}\`.)`,
      }),
      schema,
    });
    if (field.fieldKind === 'scalar') parameters.push(withDoc(scalarSchema(field.scalar)));
    else if (field.fieldKind === 'enum') parameters.push(withDoc(enumSchema(field.enum.values.map((v) => v.name))));
    else if (field.fieldKind === 'list' && field.listKind === 'scalar') {
      parameters.push({ ...withDoc({ type: 'array', items: scalarSchema(field.scalar) }), explode: true });
    } else if (field.fieldKind === 'message') {
      const known = WELL_KNOWN[field.message.typeName];
      if (known && known.type !== 'object' && known.type !== 'array' && known.type !== undefined) {
        parameters.push(withDoc({ ...known }));
      } else if (!known && depth < 4) {
        parameters.push(...queryParameters(field.message, exclude, `${name}.`, depth + 1));
      }
    }
  }
  return parameters;
}

function pathParameters(route: RestRoute): Json[] {
  return route.template.variables.map((variable) => {
    let message = route.rpc.input;
    let field: DescField | undefined;
    for (const name of variable.split('.')) {
      field = message.fields.find((f) => f.name === name);
      if (field?.fieldKind === 'message') message = field.message;
    }
    const description = field ? fieldDoc(field) : undefined;
    const schema = field?.fieldKind === 'scalar' ? scalarSchema(field.scalar) : { type: 'string' };
    return { name: variable, in: 'path', required: true, ...(description && { description }), schema };
  });
}

function firstSentence(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const end = oneLine.search(/[.;:](\s|$)/);
  return end < 0 ? oneLine : oneLine.slice(0, end + 1);
}

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };

function operation(route: RestRoute, components: Components): Json {
  const { rpc } = route;
  const service = rpc.service.replace(/^.*\./, '');
  const doc = docs[`${rpc.service}.${rpc.method}`] ?? '';
  const pathFields = new Set(route.template.variables);
  const parameters = [...pathParameters(route)];
  if (route.body !== '*') parameters.push(...queryParameters(rpc.input, pathFields));
  if (rpc.path === Method.eventStream) {
    parameters.push({
      name: 'Last-Event-ID',
      in: 'header',
      description:
        'Resume: the position of the last event seen (what EventSource sends on reconnect). Replaces `after`.',
      schema: INT64,
    });
  }

  const op: Json = {
    operationId: `${service}_${rpc.method}`,
    summary: firstSentence(doc),
    description: doc,
    tags: [service],
    'x-grpc-method': rpc.path,
    parameters,
  };
  if (route.body === '*') {
    op.requestBody = {
      required: false,
      content: { 'application/json': { schema: components.objectSchema(rpc.input, pathFields) } },
    };
  } else if (route.body !== '') {
    const field = rpc.input.fields.find((f) => f.name === route.body);
    if (field) op.requestBody = { content: { 'application/json': { schema: components.fieldSchema(field) } } };
  }

  const output = components.messageRef(rpc.output);
  if (rpc.kind === 'server_streaming') {
    const id =
      rpc.path === Method.eventStream
        ? " Each event's `id:` is its position; reconnecting with `Last-Event-ID` resumes after it."
        : rpc.path === Method.peerStream
          ? " Each message's `id:` is its id."
          : '';
    op.responses = {
      '200': {
        description:
          `A stream of ${rpc.output.name}. With \`Accept: text/event-stream\`: server-sent events, each \`data:\` one item in JSON.${id} ` +
          'When the server ends the stream with an error, a last `event: error` carries the error body. ' +
          `Otherwise newline-delimited JSON: one item a line, and at an error a last line \`{"error": {code, message, details}}\`.`,
        content: {
          'text/event-stream': { schema: { type: 'string' } },
          'application/x-ndjson': { schema: output },
        },
      },
      default: ERROR_RESPONSE,
    };
  } else {
    op.responses = {
      '200': { description: `A ${rpc.output.name}.`, content: { 'application/json': { schema: output } } },
      default: ERROR_RESPONSE,
    };
  }
  return op;
}

const STATUS_TABLE = Object.entries(httpStatusOf)
  .map(([name, status]) => `| ${Code[name as keyof typeof Code]} | ${name} | ${status} |`)
  .join('\n');

/** The OpenAPI 3.1 document of `routes`. */
export function createOpenApiDocument(routes: readonly RestRoute[]): Json {
  const components = new Components();
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const item = paths[route.template.openapiPath] ?? {};
    item[route.verb.toLowerCase()] = operation(route, components);
    paths[route.template.openapiPath] = item;
  }
  const services = [...new Set(routes.map((r) => r.rpc.service))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'stategate REST API',
      version: STATEGATE_VERSION,
      description:
        `${stategateFileDoc}\n\n` +
        'JSON is protojson: 64-bit integers are decimal strings, timestamps RFC 3339 strings; a request may ' +
        'name fields in camelCase or as the proto does (snake_case), and an unknown field is an error. ' +
        'Errors answer with the HTTP status of their gRPC code and a body `{code, message, details}`:\n\n' +
        `| code | name | HTTP |\n|---|---|---|\n${STATUS_TABLE}\n\n` +
        'A body of the wrong content type is 415, one larger than the server allows 413 (code 8).',
    },
    tags: services.map((service) => {
      const description = docs[service];
      return { name: service.replace(/^.*\./, ''), ...(description && { description }) };
    }),
    paths,
    components: {
      schemas: {
        ...components.schemas,
        'google.rpc.Status': {
          type: 'object',
          description: 'An error: the gRPC status code, a message for people, and details (always empty).',
          required: ['code', 'message', 'details'],
          properties: {
            code: { type: 'integer', format: 'int32', description: 'The gRPC status code, e.g. 5 = NOT_FOUND.' },
            message: { type: 'string' },
            details: { type: 'array', items: { type: 'object' } },
          },
        },
      },
      responses: {
        Error: {
          description: 'An error, with the HTTP status of its gRPC code.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/google.rpc.Status' } } },
        },
      },
    },
  };
}
