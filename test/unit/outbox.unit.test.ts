import { StategateError } from '../../src/core/errors.js';
import { Outbox } from '../../src/core/stream/outbox.js';

describe('Outbox', () => {
  it('delivers offered items in order', async () => {
    const box = new Outbox<number>(10, () => {});
    for (let i = 0; i < 5; i++) expect(box.offer(i)).toBe(true);
    const it = box[Symbol.asyncIterator]();
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push((await it.next()).value as number);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('hands an item straight to a waiting reader', async () => {
    const box = new Outbox<string>(1, () => {});
    const pending = box[Symbol.asyncIterator]().next();
    expect(box.offer('x')).toBe(true);
    expect(await pending).toEqual({ value: 'x', done: false });
    expect(box.size).toBe(0);
  });

  it('cuts a full subscriber off with RESOURCE_EXHAUSTED and drops its buffer', async () => {
    let closed = 0;
    const box = new Outbox<number>(3, () => closed++);
    expect([box.offer(1), box.offer(2), box.offer(3)]).toEqual([true, true, true]);
    expect(box.offer(4)).toBe(false);
    expect(box.size).toBe(0);
    expect(closed).toBe(1);
    await expect(box[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(box.offer(5)).toBe(false);
  });

  it('rejects a waiting reader when failed', async () => {
    const box = new Outbox<number>(3, () => {});
    const pending = box[Symbol.asyncIterator]().next();
    box.fail(new StategateError('UNAVAILABLE', 'bye'));
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('put waits for room instead of failing', async () => {
    const box = new Outbox<number>(1, () => {});
    await box.put(1);
    let second = false;
    const putting = box.put(2).then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false);
    const it = box[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(1);
    await putting;
    expect(second).toBe(true);
    expect((await it.next()).value).toBe(2);
  });

  it('drainTo waits until the reader has taken enough', async () => {
    const box = new Outbox<number>(4, () => {});
    for (let i = 0; i < 4; i++) box.offer(i);
    let drained = false;
    const draining = box.drainTo(1).then(() => {
      drained = true;
    });
    const it = box[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    await new Promise((r) => setTimeout(r, 5));
    expect(drained).toBe(false);
    await it.next();
    await draining;
    expect(box.size).toBe(1);
  });

  it('return() closes the subscription and calls onClose once', async () => {
    let closed = 0;
    const box = new Outbox<number>(3, () => closed++);
    await box[Symbol.asyncIterator]().return?.();
    box.close();
    expect(closed).toBe(1);
    expect(box.isOpen).toBe(false);
  });
});
