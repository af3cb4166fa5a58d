import type { ServerResponse } from 'node:http';
import { type Code, type CodeNumber, codeName } from '../../core/errors.js';

/**
 * The gRPC status a response carries on the wire, watched as it is written: gRPC's `grpc-status` in the
 * headers (trailers-only) or trailers, gRPC-Web's in its trailer frame (flag 0x80), Connect streaming's in
 * its end-of-stream frame (flag 0x02). Undefined when the response says none (REST, GraphQL, Connect unary).
 */
export function watchWireCode(res: ServerResponse): () => string | undefined {
  let code: string | undefined;
  const fromGrpcStatus = (value: unknown) => {
    const number = Number(value);
    if (value !== undefined && value !== null && Number.isInteger(number) && number >= 0 && number <= 16) {
      code = number === 0 ? 'OK' : codeName(number as CodeNumber);
    }
  };
  const addTrailers = res.addTrailers.bind(res);
  res.addTrailers = (headers) => {
    fromGrpcStatus((headers as Record<string, unknown>)['grpc-status']);
    addTrailers(headers);
  };
  const peek = (chunk: unknown) => {
    if (!(chunk instanceof Uint8Array) || chunk.length < 5) return;
    if (chunk[0] === 0x80) {
      const match = /grpc-status:\s*(\d+)/i.exec(Buffer.from(chunk.subarray(5)).toString('latin1'));
      if (match) fromGrpcStatus(match[1]);
    } else if (chunk[0] === 0x02) {
      try {
        const end = JSON.parse(Buffer.from(chunk.subarray(5)).toString('utf8')) as { error?: { code?: unknown } };
        code = typeof end.error?.code === 'string' ? connectCodeName(end.error.code) : 'OK';
      } catch {
        // not an end-of-stream frame after all
      }
    }
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((...args: unknown[]) => {
    peek(args[0]);
    return write(...args);
  }) as ServerResponse['write'];
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    peek(args[0]);
    return end(...args);
  }) as ServerResponse['end'];
  return () => code ?? headerCode(res);
  function headerCode(response: ServerResponse): string | undefined {
    const header = response.getHeader('grpc-status');
    if (header === undefined) return undefined;
    fromGrpcStatus(header);
    return code;
  }
}

/** The gRPC code an HTTP status stands for (the inverse of the REST mapping, where it is unambiguous). */
export function codeFromHttpStatus(status: number): string {
  if (status < 400) return 'OK';
  const byStatus: Record<number, keyof typeof Code> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    405: 'UNIMPLEMENTED',
    408: 'DEADLINE_EXCEEDED',
    409: 'ABORTED',
    412: 'FAILED_PRECONDITION',
    413: 'RESOURCE_EXHAUSTED',
    415: 'INVALID_ARGUMENT',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    501: 'UNIMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN');
}

/** A Connect error code (`not_found`) as its gRPC name; Connect spells CANCELLED `canceled`. */
export function connectCodeName(code: string): string {
  return code === 'canceled' ? 'CANCELLED' : code.toUpperCase();
}
