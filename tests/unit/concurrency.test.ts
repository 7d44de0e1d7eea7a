import { limiter } from '../../lib/concurrency';

/** A task that stays in flight until released. */
function deferredTask<R>(value: R) {
  let release!: () => void;
  const started = { yes: false };
  const task = () => {
    started.yes = true;
    return new Promise<R>((resolve) => {
      release = () => resolve(value);
    });
  };
  return { task, started, release: () => release() };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('limiter', () => {
  it('keeps at most `limit` tasks in flight and starts the rest in order as earlier ones settle', async () => {
    // Prepare
    const limit = limiter(2);
    const tasks = [1, 2, 3, 4].map((n) => deferredTask(n));

    // Act
    const results = tasks.map((t) => limit(t.task));
    await flush();
    const startedFirst = tasks.map((t) => t.started.yes);
    tasks[1]!.release();
    await flush();
    const startedAfterOne = tasks.map((t) => t.started.yes);
    tasks[0]!.release();
    tasks[2]!.release();
    await flush();
    tasks[3]!.release();

    // Assess
    expect(startedFirst).toEqual([true, true, false, false]);
    expect(startedAfterOne).toEqual([true, true, true, false]);
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4]);
  });

  it('passes a failure to its caller and still starts the next task', async () => {
    // Prepare
    const limit = limiter(1);
    const next = deferredTask('next');

    // Act
    const failing = limit(() => Promise.reject(new Error('boom')));
    const following = limit(next.task);
    await expect(failing).rejects.toThrow('boom');
    await flush();
    next.release();

    // Assess
    expect(next.started.yes).toBe(true);
    await expect(following).resolves.toBe('next');
  });
});
