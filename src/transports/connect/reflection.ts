import {
  create,
  createRegistry,
  type DescFile,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  type Registry,
  toBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from '../../generated/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '../../generated/grpc/reflection/v1alpha/reflection_pb.js';

type Answer = MessageInitShape<typeof ServerReflectionResponseSchema>['messageResponse'];

/** What reflection describes: the services served, and the proto files that declare them. */
export interface ReflectionSource {
  /** Fully-qualified names of the services, e.g. `stategate.EntityService`. */
  services: readonly string[];
  /** The files that declare them; their imports are found through `DescFile.dependencies`. */
  files: readonly DescFile[];
}

/** Each file with every file it imports, transitively, keyed by file name. */
function withDependencies(files: readonly DescFile[]): Map<string, DescFile> {
  const byName = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    for (const dep of file.dependencies) visit(dep);
  };
  for (const file of files) visit(file);
  return byName;
}

/** The file declaring a symbol: a type, a service, or a member (method, field, enum value) of one. */
function fileOfSymbol(registry: Registry, symbol: string): DescFile | undefined {
  const desc = registry.get(symbol);
  if (desc) return desc.file;
  const dot = symbol.lastIndexOf('.');
  if (dot < 0) return undefined;
  const parent = registry.get(symbol.slice(0, dot));
  const member = symbol.slice(dot + 1);
  switch (parent?.kind) {
    case 'service':
      return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
    case 'message':
      return parent.fields.some((f) => f.name === member) || parent.oneofs.some((o) => o.name === member)
        ? parent.file
        : undefined;
    case 'enum':
      return parent.values.some((v) => v.name === member) ? parent.file : undefined;
    default:
      return undefined;
  }
}

/**
 * Answers one reflection request. File answers carry the file and everything it imports, transitively
 * (google/protobuf/struct.proto, google/api/annotations.proto, …), as serialized FileDescriptorProtos.
 */
export function createReflector(
  source: ReflectionSource,
): (request: ServerReflectionRequest) => ServerReflectionResponse {
  const files = withDependencies(source.files);
  const registry = createRegistry(...files.values());
  const services = [...source.services];

  const fileAnswer = (file: DescFile): Answer => ({
    case: 'fileDescriptorResponse',
    value: {
      fileDescriptorProto: [...withDependencies([file]).values()].map((f) =>
        toBinary(FileDescriptorProtoSchema, f.proto),
      ),
    },
  });
  const error = (code: Code, message: string): Answer => ({
    case: 'errorResponse',
    value: { errorCode: code, errorMessage: message },
  });

  const answer = (request: ServerReflectionRequest['messageRequest']): Answer => {
    switch (request.case) {
      case 'listServices':
        return { case: 'listServicesResponse', value: { service: services.map((name) => ({ name })) } };
      case 'fileByFilename': {
        const file = files.get(request.value);
        return file ? fileAnswer(file) : error(Code.NotFound, `file not found: ${request.value}`);
      }
      case 'fileContainingSymbol': {
        const file = fileOfSymbol(registry, request.value);
        return file ? fileAnswer(file) : error(Code.NotFound, `symbol not found: ${request.value}`);
      }
      case 'fileContainingExtension': {
        const { containingType, extensionNumber } = request.value;
        const extendee = registry.getMessage(containingType);
        const extension = extendee && registry.getExtensionFor(extendee, extensionNumber);
        return extension
          ? fileAnswer(extension.file)
          : error(Code.NotFound, `extension not found: ${containingType} ${extensionNumber}`);
      }
      case 'allExtensionNumbersOfType': {
        const extendee = registry.getMessage(request.value);
        if (!extendee) return error(Code.NotFound, `type not found: ${request.value}`);
        const numbers: number[] = [];
        for (const desc of registry) {
          if (desc.kind === 'extension' && desc.extendee.typeName === extendee.typeName) numbers.push(desc.number);
        }
        return {
          case: 'allExtensionNumbersResponse',
          value: { baseTypeName: extendee.typeName, extensionNumber: numbers },
        };
      }
      default:
        return error(Code.InvalidArgument, 'empty reflection request: set one of its message_request fields');
    }
  };

  return (request) =>
    create(ServerReflectionResponseSchema, {
      validHost: request.host,
      originalRequest: request,
      messageResponse: answer(request.messageRequest),
    });
}

/**
 * The requests of a bidi stream, until the client ends them or the server shuts down (then the call ends
 * with UNAVAILABLE, so an idle reflection stream never holds a graceful shutdown up).
 */
async function* untilShutdown<T>(requests: AsyncIterable<T>, shutdown: AbortSignal): AsyncGenerator<T> {
  const it = requests[Symbol.asyncIterator]();
  let onShutdown: () => void = () => {};
  const stopped = new Promise<'shutdown'>((resolve) => {
    onShutdown = () => resolve('shutdown');
    shutdown.addEventListener('abort', onShutdown, { once: true });
  });
  try {
    while (true) {
      if (shutdown.aborted) throw new ConnectError('server is shutting down', Code.Unavailable);
      const next = await Promise.race([it.next(), stopped]);
      if (next === 'shutdown') throw new ConnectError('server is shutting down', Code.Unavailable);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    shutdown.removeEventListener('abort', onShutdown);
  }
}

/** A message read as another schema with the same wire format (v1alpha ⇄ v1). */
function recode<From extends DescMessage, To extends DescMessage>(
  from: From,
  message: MessageShape<From>,
  to: To,
): MessageShape<To> {
  return fromBinary(to, toBinary(from, message));
}

/**
 * gRPC server reflection, v1 and the older v1alpha (the same messages under another package; grpcurl
 * and others fall back to it), as bidi streams: one answer per request.
 */
export function reflectionRoutes(source: ReflectionSource, shutdown: AbortSignal) {
  const reflect = createReflector(source);
  return (router: ConnectRouter): void => {
    router.service(ServerReflection, {
      async *serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequest>, _context: HandlerContext) {
        for await (const request of untilShutdown(requests, shutdown)) yield reflect(request);
      },
    });
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests: AsyncIterable<v1alpha.ServerReflectionRequest>, _context: HandlerContext) {
        for await (const request of untilShutdown(requests, shutdown)) {
          const asV1 = recode(v1alpha.ServerReflectionRequestSchema, request, ServerReflectionRequestSchema);
          yield recode(ServerReflectionResponseSchema, reflect(asV1), v1alpha.ServerReflectionResponseSchema);
        }
      },
    });
  };
}
