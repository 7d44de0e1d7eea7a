/**
 * What every SDK client a process creates carries: a count of the API calls sent through it (the functions'
 * `ApiCalls` metric, lib/runtime/metrics.ts) and, when tracing is on, the tracer's capture — one X-Ray
 * subsegment per call (Powertools Tracer `captureAWSv3Client`, installed by lib/runtime/tracing.ts before an
 * invocation builds its clients). Clients given to an adapter from outside (tests, the CLI's emulators) are
 * left as they are.
 */

/** Something that captures a client (Powertools Tracer's `captureAWSv3Client`). */
export type ClientCapture = <C extends object>(client: C) => C;

let apiCalls = 0;
let capture: ClientCapture | undefined;

/** API calls sent so far by the clients of this process (a call the SDK retries counts once). */
export function apiCallCount(): number {
  return apiCalls;
}

/** Captures every client created from now on (undefined: none). Clients already created keep what they had. */
export function captureClientsWith(next: ClientCapture | undefined): void {
  capture = next;
}

type Sending = { send: (...args: unknown[]) => unknown };

/**
 * Counts each call `client.send` makes. The count wraps the instance's `send` and looks the class's `send` up
 * at each call, so a mock of the class (aws-sdk-client-mock stubs the prototype) still sees every call.
 */
function countCalls(client: object): void {
  const prototype = Object.getPrototypeOf(client) as Sending;
  Object.defineProperty(client, 'send', {
    configurable: true,
    writable: true,
    value(...args: unknown[]) {
      apiCalls += 1;
      return prototype.send.apply(client, args);
    },
  });
}

/** The client with its calls counted and, when tracing is on, captured. */
export function instrumented<C extends object>(client: C): C {
  countCalls(client);
  return capture ? capture(client) : client;
}
