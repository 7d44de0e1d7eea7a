/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  cacheDirectory: '<rootDir>/.jest-cache',
  setupFiles: ['<rootDir>/tests/setup-env.ts'],
};
