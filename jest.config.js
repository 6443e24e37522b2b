/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is done once by `npm run build` / `npm run typecheck`; jest only transpiles, file by file
    // (isolatedModules, set in tsconfig.jest.json: ts-jest deprecates its own option and warned on every run).
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }],
  },
  testTimeout: 60000,
  // The offline stack spawns servers and child processes: keep parallelism modest on 2 cores.
  maxWorkers: 2,
};
