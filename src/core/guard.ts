import { Admission, type AdmissionLimits, unlimitedAdmission } from './admission.js';
import type { Subscription } from './api.js';
import { authFailureReason } from './auth-failure.js';
import { isStategateError, StategateError } from './errors.js';
import type { JsonObject } from './model.js';
import type { AccessPolicy, CallContext, PolicyInput } from './ports/access.js';
import { type Logger, silentLogger } from './ports/logger.js';
import { type Metrics, noMetrics } from './ports/metrics.js';
import { noTracer, type Tracer } from './ports/tracer.js';

/** The longest a timer can wait (2^31-1 ms); a token valid for longer is re-checked then. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The one place on every call path where admission, authentication and the request and response policies
 * run, whichever transport the call came from. Order: shed overload → authenticate → rate-limit →
 * validate → authorize → run → filter. A policy that throws denies (fail closed).
 */
export class Guard {
  private readonly admission: Admission;

  constructor(
    private readonly access: AccessPolicy,
    limits: AdmissionLimits = unlimitedAdmission,
    private readonly logger: Logger = silentLogger,
    private readonly metrics: Metrics = noMetrics,
    private readonly tracer: Tracer = noTracer,
  ) {
    this.admission = new Admission(limits);
  }

  /** Resolves once no unary call is running: a shutdown lets them finish before the providers close. */
  drained(): Promise<void> {
    return this.admission.drained();
  }

  /** The caller's verified claims (for transports that authenticate a connection once, e.g. graphql-ws). */
  async authenticate(ctx: CallContext): Promise<JsonObject> {
    try {
      return await this.access.authenticate(ctx);
    } catch (err) {
      if (isStategateError(err) && err.code === 'UNAUTHENTICATED') {
        this.metrics.count('authFailures', { reason: authFailureReason(err) });
      }
      throw err;
    }
  }

  /** A unary call whose whole response the response policy allows or withholds. */
  unary<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    run: (input: I, claims: JsonObject) => Promise<O>,
  ): Promise<O> {
    return this.measured(method, ctx, () =>
      this.admission.inFlightCall(async () => {
        const { input, claims } = await this.admit(method, ctx, validate);
        const response = await run(input, claims);
        const policyInput = this.policyInput(method, ctx, claims, input);
        const allowed = await this.tracer.stage('policy.response', { items: 1 }, () =>
          this.allowResponse({ ...policyInput, response }),
        );
        if (!allowed) {
          throw new StategateError('PERMISSION_DENIED', `response policy denied ${method}`);
        }
        return response;
      }),
    );
  }

  /** A call answering a list: the response policy decides per item, and denied items are dropped (G9). */
  list<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    run: (input: I, claims: JsonObject) => Promise<O[]>,
  ): Promise<O[]> {
    return this.measured(method, ctx, () =>
      this.admission.inFlightCall(async () => {
        const { input, claims } = await this.admit(method, ctx, validate);
        const items = await run(input, claims);
        const policyInput = this.policyInput(method, ctx, claims, input);
        const allowed = await this.tracer.stage('policy.response', { items: items.length }, () =>
          Promise.all(items.map((response) => this.allowResponse({ ...policyInput, response }))),
        );
        return items.filter((_, i) => allowed[i]);
      }),
    );
  }

  /**
   * A stream: admitted like a call (with the real stream options as body), counted against the principal's
   * stream limit, filtered item by item, and ended UNAUTHENTICATED (resumable) when the token expires.
   * Its request metric is the opening (code and duration until it is open); the open-streams gauge covers
   * its life.
   */
  stream<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    open: (input: I, claims: JsonObject) => Subscription<O>,
  ): Promise<Subscription<O>> {
    return this.measured(method, ctx, () => this.openStream(method, ctx, validate, open));
  }

  private async openStream<I, O>(
    method: string,
    ctx: CallContext,
    validate: () => I,
    open: (input: I, claims: JsonObject) => Subscription<O>,
  ): Promise<Subscription<O>> {
    const { input, claims } = await this.admit(method, ctx, validate);
    const releaseSlot = this.admission.openStream(Admission.principal(ctx, claims));
    const streamLabels = { transport: ctx.transport };
    this.metrics.add('openStreams', 1, streamLabels);
    const release = () => {
      releaseSlot();
      this.metrics.add('openStreams', -1, streamLabels);
    };
    let source: Subscription<O>;
    try {
      source = open(input, claims);
    } catch (err) {
      release();
      throw err;
    }
    const policyInput = this.policyInput(method, ctx, claims, input);
    return guardSubscription(source, {
      allow: (response) => this.allowResponse({ ...policyInput, response }),
      expiresAtMs: typeof claims.exp === 'number' ? claims.exp * 1000 : undefined,
      onClose: release,
    });
  }

  /** Runs one call in its trace span and reports it: method, transport, outcome code and duration. */
  private measured<T>(method: string, ctx: CallContext, call: () => Promise<T>): Promise<T> {
    const attributes = { 'rpc.method': method, 'stategate.transport': ctx.transport };
    return this.tracer.call(method, attributes, ctx.metadata, () => this.reported(method, ctx, call));
  }

  private async reported<T>(method: string, ctx: CallContext, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let code = 'OK';
    try {
      return await call();
    } catch (err) {
      code = isStategateError(err) ? err.code : 'INTERNAL';
      throw err;
    } finally {
      const labels = { method, transport: ctx.transport, code };
      this.metrics.count('requests', labels);
      this.metrics.observe('requestDuration', (performance.now() - started) / 1000, labels);
    }
  }

  private async admit<I>(
    method: string,
    ctx: CallContext,
    validate: () => I,
  ): Promise<{ input: I; claims: JsonObject }> {
    const claims = await this.tracer.stage('authenticate', {}, () => this.authenticate(ctx));
    this.admission.charge(Admission.principal(ctx, claims));
    const input = validate();
    const policyInput = this.policyInput(method, ctx, claims, input);
    if (!(await this.tracer.stage('policy.request', {}, () => this.allowRequest(policyInput)))) {
      throw new StategateError('PERMISSION_DENIED', `request policy denied ${method}`);
    }
    return { input, claims };
  }

  private async allowRequest(input: PolicyInput): Promise<boolean> {
    const started = performance.now();
    try {
      return (await this.access.allowRequest(input)) === true;
    } catch (err) {
      this.logger.error({ err, method: input.method }, 'request policy failed: denied');
      return false;
    } finally {
      this.metrics.observe('policyDuration', (performance.now() - started) / 1000, { stage: 'request' });
    }
  }

  private async allowResponse(input: PolicyInput & { response: unknown }): Promise<boolean> {
    const started = performance.now();
    try {
      return (await this.access.allowResponse(input)) === true;
    } catch (err) {
      this.logger.error({ err, method: input.method }, 'response policy failed: withheld');
      return false;
    } finally {
      this.metrics.observe('policyDuration', (performance.now() - started) / 1000, { stage: 'response' });
    }
  }

  private policyInput(method: string, ctx: CallContext, claims: JsonObject, body: unknown): PolicyInput {
    return { method, claims, metadata: ctx.metadata, body, transport: ctx.transport };
  }
}

interface GuardOptions<T> {
  /** The response policy's decision on one item; denied items are skipped. */
  allow: (item: T) => Promise<boolean>;
  /** When the caller's token expires (ms since the epoch); the stream then ends UNAUTHENTICATED. */
  expiresAtMs: number | undefined;
  /** Runs once when the stream ends, however it ends. */
  onClose: () => void;
}

function tokenExpired(): StategateError {
  return new StategateError(
    'UNAUTHENTICATED',
    'token expired: reconnect with a fresh token and resume from your last position',
  );
}

/** `source` with denied items dropped, ended when the token expires, and `onClose` run exactly once. */
function guardSubscription<T>(source: Subscription<T>, options: GuardOptions<T>): Subscription<T> {
  let closed = false;
  let expired = false;
  let wakeOnExpiry: ((err: StategateError) => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    source.close();
    options.onClose();
  };
  const expire = () => {
    expired = true;
    // Wake a waiting reader before closing the source, whose close would otherwise end it as a plain `done`.
    wakeOnExpiry?.(tokenExpired());
    close();
  };
  const arm = (at: number) => {
    const wait = at - Date.now();
    if (wait <= 0) return expire();
    timer = setTimeout(() => arm(at), Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };
  if (options.expiresAtMs !== undefined) arm(options.expiresAtMs);
  const iterator = source[Symbol.asyncIterator]();
  return {
    close,
    [Symbol.asyncIterator]() {
      return {
        async next() {
          for (;;) {
            if (expired) throw tokenExpired();
            const expiry = new Promise<never>((_, reject) => {
              wakeOnExpiry = reject;
            });
            let result: IteratorResult<T>;
            try {
              result = await Promise.race([iterator.next(), expiry]);
            } catch (err) {
              close();
              throw err;
            } finally {
              wakeOnExpiry = null;
            }
            if (result.done) {
              close();
              if (expired) throw tokenExpired();
              return result;
            }
            if (await options.allow(result.value)) return result;
          }
        },
        async return() {
          close();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
