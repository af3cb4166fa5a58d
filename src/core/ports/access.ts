import type { JsonObject } from '../model.js';

export type Transport = 'graphql' | 'rest' | 'grpc' | 'grpc-web' | 'connect';

/** What a transport knows about a call before core runs it. */
export interface CallContext {
  transport: Transport;
  /** The raw `Authorization` header (or graphql-ws `connection_init` payload field), if any. */
  authorization?: string;
  /** Request headers / gRPC metadata, lower-cased names. */
  metadata: Readonly<Record<string, string>>;
  /** The client's IP address (the socket's peer); who is rate-limited when there are no claims. */
  peer?: string;
}

/** The input of a policy decision (DESIGN.md §5). */
export interface PolicyInput {
  method: string;
  claims: JsonObject;
  metadata: Readonly<Record<string, string>>;
  body: unknown;
  transport: Transport;
}

/**
 * Authentication and authorization, run by core on every call of every transport (core/guard.ts).
 * Implementations live in src/policy; they throw UNAUTHENTICATED / PERMISSION_DENIED StategateErrors.
 */
export interface AccessPolicy {
  /** Verifies the caller's credentials and returns their claims (`{}` when authentication is off). */
  authenticate(ctx: CallContext): Promise<JsonObject>;
  /** True when the request policy allows the call. */
  allowRequest(input: PolicyInput): Promise<boolean>;
  /** True when the response policy allows this response (or this one stream item / search result). */
  allowResponse(input: PolicyInput & { response: unknown }): Promise<boolean>;
}
