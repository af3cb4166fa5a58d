import type { Subscription } from './api.js';
import { StategateError } from './errors.js';
import type { JsonObject } from './model.js';
import type { AccessPolicy, CallContext, PolicyInput } from './ports/access.js';

/**
 * The one place on every call path where authentication and the request and response policies run,
 * whichever transport the call came from. Order: authenticate → validate → authorize → run → filter.
 */
export class Guard {
  constructor(private readonly access: AccessPolicy) {}

  /** A unary call whose whole response the response policy allows or withholds. */
  async unary<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    run: (input: I, claims: JsonObject) => Promise<O>,
  ): Promise<O> {
    const { input, claims } = await this.admit(method, ctx, validate);
    const response = await run(input, claims);
    const policyInput = this.policyInput(method, ctx, claims, input);
    if (!(await this.access.allowResponse({ ...policyInput, response }))) {
      throw new StategateError('PERMISSION_DENIED', `response policy denied ${method}`);
    }
    return response;
  }

  /** A call answering a list: the response policy decides per item, and denied items are dropped (G9). */
  async list<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    run: (input: I, claims: JsonObject) => Promise<O[]>,
  ): Promise<O[]> {
    const { input, claims } = await this.admit(method, ctx, validate);
    const items = await run(input, claims);
    const policyInput = this.policyInput(method, ctx, claims, input);
    const allowed = await Promise.all(items.map((response) => this.access.allowResponse({ ...policyInput, response })));
    return items.filter((_, i) => allowed[i]);
  }

  /** A stream: admitted like a call (with the real stream options as body), then filtered item by item. */
  async stream<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    open: (input: I, claims: JsonObject) => Subscription<O>,
  ): Promise<Subscription<O>> {
    const { input, claims } = await this.admit(method, ctx, validate);
    const source = open(input, claims);
    const policyInput = this.policyInput(method, ctx, claims, input);
    return filterSubscription(source, (response) => this.access.allowResponse({ ...policyInput, response }));
  }

  private async admit<I>(
    method: string,
    ctx: CallContext,
    validate: () => I,
  ): Promise<{ input: I; claims: JsonObject }> {
    const claims = await this.access.authenticate(ctx);
    const input = validate();
    if (!(await this.access.allowRequest(this.policyInput(method, ctx, claims, input)))) {
      throw new StategateError('PERMISSION_DENIED', `request policy denied ${method}`);
    }
    return { input, claims };
  }

  private policyInput(method: string, ctx: CallContext, claims: JsonObject, body: unknown): PolicyInput {
    return { method, claims, metadata: ctx.metadata, body, transport: ctx.transport };
  }
}

function filterSubscription<T>(source: Subscription<T>, allow: (item: T) => Promise<boolean>): Subscription<T> {
  return {
    close: () => source.close(),
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      return {
        async next() {
          for (;;) {
            const result = await it.next();
            if (result.done || (await allow(result.value))) return result;
          }
        },
        async return() {
          source.close();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
