import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type ExecutionArgs, type GraphQLError, getOperationAST } from 'graphql';
import type { Logger } from '../../core/ports/logger.js';
import { traceIdFrom } from './request-id.js';
import { type RequestRecord, runWithRecord } from './request-record.js';

interface Operation {
  record: RequestRecord;
  started: bigint;
}

/** What graphql-ws knows of a socket: its running operation ids. */
interface Socket {
  readonly subscriptions: Readonly<Record<string, unknown>>;
}

/**
 * One log line per graphql-ws operation, the WebSocket's counterpart of the HTTP request log: each
 * operation gets its own request id (the upgrade request's trace id, if any) and its line when it ends.
 */
export function createWsOperationLog(logger: Logger) {
  const bySocket = new WeakMap<Socket, Map<string, Operation>>();
  const byArgs = new WeakMap<ExecutionArgs, RequestRecord>();

  const take = (socket: Socket, id: string): Operation | undefined => {
    const operations = bySocket.get(socket);
    const operation = operations?.get(id);
    operations?.delete(id);
    return operation;
  };
  const write = (operation: Operation, code: string, ended: string | undefined) => {
    const { record } = operation;
    logger.info(
      {
        requestId: record.requestId,
        traceId: record.traceId,
        transport: record.transport,
        method: [...record.methods][0] ?? 'graphql-ws',
        methods: record.methods.size > 1 ? [...record.methods] : undefined,
        operation: record.operation,
        sub: record.sub,
        durationMs: Math.round(Number(process.hrtime.bigint() - operation.started) / 1e3) / 1e3,
        code,
        stream: record.stream || undefined,
        ended,
      },
      record.stream ? 'stream ended' : 'request',
    );
  };

  return {
    /** An operation was subscribed to (`args` is what its execution will be handed). */
    opened(socket: Socket, id: string, upgrade: IncomingMessage, operationName: string | null | undefined) {
      const record: RequestRecord = {
        requestId: randomUUID(),
        traceId: traceIdFrom(upgrade.headers.traceparent),
        transport: 'graphql-ws',
        methods: new Set(),
        operation: operationName ?? undefined,
      };
      const operations = bySocket.get(socket) ?? new Map<string, Operation>();
      bySocket.set(socket, operations);
      operations.set(id, { record, started: process.hrtime.bigint() });
      return {
        bind(args: ExecutionArgs) {
          byArgs.set(args, record);
          // A client need not send the name; the document has it.
          record.operation ??= getOperationAST(args.document, args.operationName)?.name?.value;
        },
      };
    },
    /** Runs an operation's execution (or subscription) with its record current, for the call observers. */
    run<T>(args: ExecutionArgs, run: () => T): T {
      const record = byArgs.get(args);
      return record ? runWithRecord(record, run) : run();
    },
    /** The operation ended with errors (graphql-ws sends no `complete` after an `error`). */
    failed(socket: Socket, id: string, errors: readonly GraphQLError[]) {
      const operation = take(socket, id);
      if (!operation) return;
      const code = errors.map((e) => e.extensions?.code).find((c) => typeof c === 'string');
      write(
        operation,
        operation.record.code ?? (code as string | undefined) ?? 'UNKNOWN',
        operation.record.stream ? 'server ended it' : undefined,
      );
    },
    /** The operation completed: by the server, or by the client (`complete`, or its socket closing). */
    completed(socket: Socket, id: string) {
      const operation = take(socket, id);
      if (!operation) return;
      // graphql-ws forgets an id the client completed before calling onComplete.
      const clientGone = !(id in socket.subscriptions);
      const code = clientGone && operation.record.stream ? 'CANCELLED' : (operation.record.code ?? 'OK');
      const ended = operation.record.stream ? (clientGone ? 'client went away' : 'server ended it') : undefined;
      write(operation, code, ended);
    },
  };
}
