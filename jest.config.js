// Jest runs the TypeScript sources as ES modules (Nest 12 ships ESM only), transformed by swc.
// Type checking is done separately by `npm run typecheck`.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^nestjs-conveyor$': '<rootDir>/lib/index.ts',
    '^nestjs-conveyor/engine$': '<rootDir>/lib/engine/index.ts',
    '^nestjs-conveyor/health$': '<rootDir>/lib/nest/health/index.ts',
    '^nestjs-conveyor/bull-board$': '<rootDir>/lib/bull-board/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/lib/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/chaos/'],
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  testTimeout: 20000,
  maxWorkers: 2,
};
