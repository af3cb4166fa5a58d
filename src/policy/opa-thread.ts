import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JsonObject } from '../core/model.js';
import {
  type BatchDone,
  CONTROL_BYTES,
  controlViews,
  Decision,
  DONE,
  MAX_BATCH,
  STARTED_AT,
  type WorkerInit,
  type WorkerReady,
} from './opa-protocol.js';

/** How long a worker may take to load its policy before it counts as failed. */
const READY_TIMEOUT_MS = 30_000;

/** One input's outcome; `detail` is the policy's error message when it threw. */
export interface Verdict {
  decision: Decision;
  detail?: string;
}

interface Pending {
  json: string;
  settle: (verdict: Verdict) => void;
}

interface Running {
  worker: Worker;
  views: ReturnType<typeof controlViews>;
  batch: { id: number; items: Pending[]; timer: NodeJS.Timeout } | null;
}

export interface PolicyThreadOptions {
  timeoutMs: number;
  /** Called when a worker is replaced (timeout or crash) or cannot be started again. */
  onIncident: (what: string, err?: unknown) => void;
}

/**
 * One policy evaluated in one worker thread, with ONE loaded instance reused for every input. Inputs that
 * arrive while the worker is busy (or in the same tick) go to it as one message. An evaluation that runs
 * longer than `timeoutMs` is denied and its worker terminated and replaced; the rest of its batch is not
 * blamed for it: decisions already made stand, later inputs are sent again to the new worker.
 */
export class PolicyThread {
  private running: Running | null = null;
  private starting: Promise<Running> | null = null;
  private readonly queue: Pending[] = [];
  private flushQueued = false;
  private nextBatch = 1;
  private closed = false;

  private constructor(
    private readonly init: Omit<WorkerInit, 'control'>,
    private readonly options: PolicyThreadOptions,
  ) {}

  /** Starts the worker and waits until the policy is loaded; rejects with the reason it cannot be. */
  static async start(
    module: WebAssembly.Module,
    data: JsonObject,
    options: PolicyThreadOptions,
  ): Promise<PolicyThread> {
    const thread = new PolicyThread({ module, data }, options);
    await thread.ensureWorker();
    return thread;
  }

  decide(json: string): Promise<Verdict> {
    if (this.closed) return Promise.resolve({ decision: Decision.error, detail: 'policy closed' });
    return new Promise<Verdict>((settle) => {
      this.queue.push({ json, settle });
      this.scheduleFlush();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = this.running;
    this.running = null;
    if (running?.batch) this.settleAll(running.batch.items, { decision: Decision.error, detail: 'policy closed' });
    if (running) clearTimeout(running.batch?.timer);
    this.settleAll(this.queue.splice(0), { decision: Decision.error, detail: 'policy closed' });
    await running?.worker.terminate();
  }

  /** Inputs queued in the same tick go out together, in one message, at the end of it. */
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.queue.length === 0) return;
    const running = this.running;
    if (!running) {
      // Between a terminated worker and its replacement; the replacement flushes when it is ready.
      this.ensureWorker().then(
        () => this.flush(),
        (err: unknown) => {
          this.options.onIncident('policy worker cannot start: queued inputs denied', err);
          this.settleAll(this.queue.splice(0), { decision: Decision.error, detail: 'policy worker cannot start' });
        },
      );
      return;
    }
    if (running.batch) return; // the worker is busy; the queue goes out when its batch is done
    const items = this.queue.splice(0, MAX_BATCH);
    const id = this.nextBatch++;
    Atomics.store(running.views.clock, STARTED_AT, 0n);
    Atomics.store(running.views.clock, DONE, 0n);
    running.batch = { id, items, timer: this.watch(running, this.options.timeoutMs) };
    running.worker.postMessage({ batch: id, inputs: items.map((item) => item.json) });
  }

  /** Checks, when the running evaluation could first have timed out, whether it has. */
  private watch(running: Running, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (this.running !== running || !running.batch) return;
      const startedAt = Number(Atomics.load(running.views.clock, STARTED_AT));
      const elapsed = startedAt === 0 ? 0 : Date.now() - startedAt;
      if (elapsed < this.options.timeoutMs) {
        // Not started yet (the message is on its way) or a later input of the batch started since.
        running.batch.timer = this.watch(running, this.options.timeoutMs - elapsed);
        return;
      }
      this.timedOut(running);
    }, delayMs);
    timer.unref();
    return timer;
  }

  private timedOut(running: Running): void {
    const batch = running.batch!;
    const done = Number(Atomics.load(running.views.clock, DONE));
    this.retire(running);
    this.settleDone(running, batch.items.slice(0, done), {});
    batch.items[done]?.settle({ decision: Decision.timeout });
    // Inputs after the slow one were never evaluated: they go first to the replacement worker.
    this.queue.unshift(...batch.items.slice(done + 1));
    this.options.onIncident(`policy evaluation ran over ${this.options.timeoutMs} ms: denied, worker replaced`);
    this.flush();
  }

  private onBatchDone(running: Running, message: BatchDone): void {
    const batch = running.batch;
    if (this.running !== running || !batch || batch.id !== message.batch) return;
    clearTimeout(batch.timer);
    running.batch = null;
    this.settleDone(running, batch.items, message.errors);
    this.flush();
  }

  private onCrash(running: Running, err: unknown): void {
    if (this.running !== running) return;
    const batch = running.batch;
    this.retire(running);
    this.options.onIncident('policy worker crashed: its running inputs denied, worker replaced', err);
    if (batch) this.settleAll(batch.items, { decision: Decision.error, detail: 'policy worker crashed' });
    this.flush();
  }

  /** Forgets a worker and terminates it; the next flush starts a replacement. */
  private retire(running: Running): void {
    clearTimeout(running.batch?.timer);
    running.batch = null;
    this.running = null;
    void running.worker.terminate();
  }

  private settleDone(running: Running, items: Pending[], errors: Record<number, string>): void {
    items.forEach((item, i) => {
      const decision = Atomics.load(running.views.decisions, i) as Decision;
      item.settle(errors[i] === undefined ? { decision } : { decision, detail: errors[i] });
    });
  }

  private settleAll(items: Pending[], verdict: Verdict): void {
    for (const item of items) item.settle(verdict);
  }

  private ensureWorker(): Promise<Running> {
    if (this.running) return Promise.resolve(this.running);
    this.starting ??= this.spawn().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private spawn(): Promise<Running> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const worker = createPolicyWorker({ ...this.init, control });
    // The server's own handles keep the process alive; a policy worker must not keep it from exiting.
    worker.unref();
    const running: Running = { worker, views: controlViews(control), batch: null };
    return new Promise<Running>((resolve, reject) => {
      const fail = (err: unknown) => {
        clearTimeout(timer);
        void worker.terminate();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error('worker did not start in time')), READY_TIMEOUT_MS);
      timer.unref();
      worker.once('message', (ready: WorkerReady) => {
        clearTimeout(timer);
        if (!ready.ready) return fail(new Error(ready.error));
        if (this.closed) return fail(new Error('policy closed'));
        worker.on('message', (message: BatchDone) => this.onBatchDone(running, message));
        this.running = running;
        resolve(running);
      });
      worker.on('error', (err) => (this.running === running ? this.onCrash(running, err) : fail(err)));
      worker.on('exit', (code) => {
        if (this.running === running) this.onCrash(running, new Error(`policy worker exited with code ${code}`));
        else fail(new Error(`worker exited with code ${code} while starting`));
      });
    });
  }
}

/**
 * The worker runs the compiled opa-worker.js next to this file. Run from the TypeScript sources (tests,
 * `npm run dev`), there is only opa-worker.ts: the worker then registers tsx's loader first, which a
 * worker's `execArgv` cannot do on Node 20.
 */
function createPolicyWorker(workerData: WorkerInit): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  if (!fromSources) return new Worker(new URL('./opa-worker.js', import.meta.url), { workerData });
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsxApi = new URL('./dist/esm/api/index.mjs', pathToFileURL(tsxPackage)).href;
  const entry = new URL('./opa-worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}
