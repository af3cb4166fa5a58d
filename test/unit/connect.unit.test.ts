import { create, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createHandlerContext } from '@connectrpc/connect';
import { StategateError } from '../../src/core/errors.js';
import { file_grpc_health_v1_health } from '../../src/generated/grpc/health/v1/health_pb.js';
import { ServerReflectionRequestSchema } from '../../src/generated/grpc/reflection/v1/reflection_pb.js';
import { EntityService, file_stategate } from '../../src/generated/stategate_pb.js';
import { callFromHandlerContext, rpcTransport } from '../../src/transports/connect/call-context.js';
import { reportParseErrorsAsInvalidArgument, toConnectError } from '../../src/transports/connect/errors.js';
import { grpcPercentEncode } from '../../src/transports/connect/grpc-message.js';
import { createReflector } from '../../src/transports/connect/reflection.js';

describe('rpcTransport: the protocol by content type', () => {
  it.each([
    ['application/grpc', 'grpc'],
    ['application/grpc+proto', 'grpc'],
    ['Application/GRPC+json', 'grpc'],
    ['application/grpc-web', 'grpc-web'],
    ['application/grpc-web+proto', 'grpc-web'],
    ['application/proto', 'connect'],
    ['application/json', 'connect'],
    ['application/connect+proto', 'connect'],
    [null, 'connect'],
  ])('%s → %s', (contentType, transport) => {
    expect(rpcTransport(contentType)).toBe(transport);
  });
});

describe('callFromHandlerContext', () => {
  it('takes the transport, the authorization header and the headers as lower-cased metadata', () => {
    const context = createHandlerContext({
      method: EntityService.method.set,
      service: EntityService,
      protocolName: 'grpc',
      requestMethod: 'POST',
      url: 'http://localhost/stategate.EntityService/Set',
      requestHeader: { 'Content-Type': 'application/grpc', Authorization: 'Bearer t', 'X-Tenant': 'a' },
    });
    expect(callFromHandlerContext(context)).toEqual({
      transport: 'grpc',
      authorization: 'Bearer t',
      metadata: { 'content-type': 'application/grpc', authorization: 'Bearer t', 'x-tenant': 'a' },
    });
  });
});

describe('toConnectError', () => {
  const logged: { obj: object; msg?: string }[] = [];
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error: (obj: object, msg?: string) => logged.push({ obj, msg }),
  };
  beforeEach(() => {
    logged.length = 0;
  });

  it.each([
    ['INVALID_ARGUMENT', Code.InvalidArgument],
    ['NOT_FOUND', Code.NotFound],
    ['ALREADY_EXISTS', Code.AlreadyExists],
    ['FAILED_PRECONDITION', Code.FailedPrecondition],
    ['ABORTED', Code.Aborted],
    ['RESOURCE_EXHAUSTED', Code.ResourceExhausted],
    ['UNAVAILABLE', Code.Unavailable],
    ['UNAUTHENTICATED', Code.Unauthenticated],
    ['PERMISSION_DENIED', Code.PermissionDenied],
  ] as const)('%s keeps its code and message', (name, code) => {
    const err = toConnectError(new StategateError(name, 'why'), logger, '/x');
    expect({ code: err.code, message: err.rawMessage }).toEqual({ code, message: 'why' });
    expect(logged).toEqual([]);
  });

  it('masks anything else as INTERNAL and logs it whole', () => {
    const boom = new Error('secret detail');
    const err = toConnectError(boom, logger, '/stategate.EntityService/Set');
    expect({ code: err.code, message: err.rawMessage }).toEqual({ code: Code.Internal, message: 'internal error' });
    expect(logged).toEqual([
      { obj: { err: boom, procedure: '/stategate.EntityService/Set' }, msg: expect.any(String) },
    ]);
  });
});

describe('reportParseErrorsAsInvalidArgument', () => {
  it("turns connect-es' INTERNAL for unparsable bytes into INVALID_ARGUMENT, and nothing else", () => {
    const parse = new ConnectError('parse binary: premature EOF', Code.Internal);
    const other = new ConnectError('internal error', Code.Internal);
    for (const [err, code] of [
      [parse, Code.InvalidArgument],
      [other, Code.Internal],
    ] as const) {
      const controller = new AbortController();
      reportParseErrorsAsInvalidArgument(controller.signal);
      controller.abort(err);
      expect(err.code).toBe(code);
    }
  });
});

describe('grpcPercentEncode', () => {
  it('encodes only what is not printable ASCII, and %', () => {
    expect(grpcPercentEncode('entity d/t/k: a, b')).toBe('entity d/t/k: a, b');
    expect(grpcPercentEncode('100% ✓\n')).toBe('100%25 %E2%9C%93%0A');
    expect(decodeURI(grpcPercentEncode('a/b: ✓ 100%'))).toBe('a/b: ✓ 100%');
  });
});

describe('createReflector', () => {
  const reflect = createReflector({
    services: ['stategate.EntityService', 'grpc.health.v1.Health'],
    files: [file_stategate, file_grpc_health_v1_health],
  });
  const ask = (messageRequest: Parameters<typeof create<typeof ServerReflectionRequestSchema>>[1]) =>
    reflect(create(ServerReflectionRequestSchema, messageRequest)).messageResponse;
  const files = (answer: ReturnType<typeof ask>) =>
    answer.case === 'fileDescriptorResponse'
      ? answer.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
      : answer;

  it.each(['stategate.EntityService', 'stategate.EntityService.Set', 'stategate.Entity', 'stategate.Entity.values'])(
    'finds %s in stategate.proto',
    (symbol) => {
      expect(files(ask({ messageRequest: { case: 'fileContainingSymbol', value: symbol } }))).toContain(
        'stategate.proto',
      );
    },
  );

  it.each([
    'grpc.health.v1.HealthCheckResponse.ServingStatus',
    'grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING',
  ])('finds %s in health.proto', (symbol) => {
    expect(files(ask({ messageRequest: { case: 'fileContainingSymbol', value: symbol } }))).toEqual([
      'grpc/health/v1/health.proto',
    ]);
  });

  it.each(['stategate', 'stategate.Nope', 'stategate.Entity.nope', 'stategate.EntityService.Nope', ''])(
    '%s is NOT_FOUND',
    (symbol) => {
      expect(ask({ messageRequest: { case: 'fileContainingSymbol', value: symbol } })).toMatchObject({
        case: 'errorResponse',
        value: { errorCode: Code.NotFound },
      });
    },
  );

  it('an empty request is INVALID_ARGUMENT', () => {
    expect(ask({})).toMatchObject({ case: 'errorResponse', value: { errorCode: Code.InvalidArgument } });
  });
});
