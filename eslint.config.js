// Lint rules `npm test` enforces. Formatting is Prettier's job (eslint-config-prettier turns off
// the rules that would fight it); these rules are about meaning: imports, types, dead code.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'sample/dist/', '.tmp/', '.prof/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: {
        // Nest reads constructor parameter types at run time (emitDecoratorMetadata): an import
        // used only in such a position is a value import, and the type-import rule must know it
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    plugins: { 'import-x': importX },
    rules: {
      'import-x/order': [
        'error',
        {
          groups: ['builtin', 'external', 'internal', 'parent', 'sibling', 'index'],
          'newlines-between': 'never',
          alphabetize: { order: 'asc', caseInsensitive: true },
        },
      ],
      'import-x/first': 'error',
      'import-x/no-duplicates': ['error', { 'prefer-inline': true }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `interface BullRootModuleOptions extends QueueModuleOptions {}`: a second name for a type
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // a wrapper that needs both its own call's `this` and the installer's
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    // TypeScript checks names itself, and knows the globals of each file's lib
    files: ['**/*.ts', '**/*.mts'],
    rules: { 'no-undef': 'off' },
  },
  {
    // BullMQ's public signatures take and return `any` (job data, results, processors): the
    // drop-in types mirror them, so `any` is part of the contract here
    files: ['lib/**/*.ts', 'test/types/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['lib/engine/**/*.ts'],
    rules: {
      // bullmq 6.7's classes take type parameters for its other backends (`B`,
      // `ConnectionOptionsType`) that a Redis-only engine never reads: kept so signatures match
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^(_|B$|ConnectionOptionsType$|ProgressType$|ReturnType$)',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
      // a class merged with an interface of the same name is how the emitters get typed
      // on/once/off and how QueueKeys declares the keys its constructor sets
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
    },
  },
  {
    // Nest types class references and handlers as `Function` (InstanceWrapper.metatype)
    files: ['lib/nest/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-function-type': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // tests poke at bullmq internals and at values of unknown shape on purpose
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // type tests: values exist to have their types compared, which this rule counts as unused
    files: ['test/types/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', disallowTypeAnnotations: false }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
