/** Tests are TypeScript ESM run through ts-jest; tiers are told apart by file name (*.unit / *.int / *.e2e). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60000,
  // cassandra-driver 4.10 can keep two sockets to the node open after its client shut down (seen once in a
  // clean-clone CI run, after a test restarted Cassandra); they would keep the run from ever ending. The
  // results are complete when jest reaches this point, so it exits instead of waiting on them.
  forceExit: true,
};
