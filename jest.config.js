/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  cacheDirectory: '<rootDir>/.jest-cache',
  setupFiles: ['<rootDir>/tests/setup-env.ts'],
  // CI shares a loaded 2-core machine: a test that is slow there must not fail on jest's 5 s default.
  testTimeout: 60_000,
};
