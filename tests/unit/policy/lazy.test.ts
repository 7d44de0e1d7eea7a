/** lazy(): a value (a zod schema) built on first use, then kept. */
import { lazy } from '../../../lib/policy/lazy';

describe('lazy', () => {
  it('builds nothing until asked', () => {
    // Prepare
    const build = jest.fn(() => ({ built: true }));

    // Act
    lazy(build);

    // Assess
    expect(build).not.toHaveBeenCalled();
  });

  it('builds once and gives the same value every time', () => {
    // Prepare
    const build = jest.fn(() => ({ built: true }));
    const value = lazy(build);

    // Act
    const first = value();
    const second = value();

    // Assess
    expect(build).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
  });

  it('keeps no failed build: the next call builds again', () => {
    // Prepare
    const build = jest
      .fn<{ built: boolean }, []>()
      .mockImplementationOnce(() => {
        throw new Error('not yet');
      })
      .mockImplementation(() => ({ built: true }));
    const value = lazy(build);

    // Act
    const failing = () => value();

    // Assess
    expect(failing).toThrow('not yet');
    expect(value()).toEqual({ built: true });
    expect(build).toHaveBeenCalledTimes(2);
  });
});
