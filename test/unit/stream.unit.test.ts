import { StategateError } from '../../src/core/errors.js';
import { endWithFailure, unwrapStreamItem } from '../../src/resolvers/stream.js';
import { FakeSubscription } from './support/fake-api.js';

describe('endWithFailure', () => {
  it('passes items, turns a thrown error into one last item, then ends and closes', async () => {
    const source = new FakeSubscription<number>();
    const stream = endWithFailure(source);
    source.push(1);
    const failure = new StategateError('RESOURCE_EXHAUSTED', 'too slow');
    source.fail(failure);
    const first = await stream.next();
    expect(first).toEqual({ done: false, value: 1 });
    const last = await stream.next();
    expect(last.done).toBe(false);
    expect(() => unwrapStreamItem(last.value)).toThrow(failure);
    expect(source.closed).toBe(true);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('closes the core subscription on return() even while a next() is pending', async () => {
    const source = new FakeSubscription<number>();
    const stream = endWithFailure(source);
    const pending = stream.next();
    await stream.return?.();
    expect(source.closed).toBe(true);
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('ends when the core subscription ends', async () => {
    const source = new FakeSubscription<number>();
    const stream = endWithFailure(source);
    source.close();
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
