/** Shared settings of every SDK client: adaptive retry for throttling, endpoint from AWS_ENDPOINT_URL (SDK-native). */

export const clientConfig = {
  retryMode: 'adaptive',
  maxAttempts: 8,
} as const;

export function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

/** Drops keys whose value is undefined, so adapter output matches snapshot objects field for field. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}
