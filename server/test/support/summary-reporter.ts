import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with the plain `server: N passed, N failed` line that CI reads (`server-s3:` for the
 * TEST_STORAGE=s3 run). A test file that
 * fails before any test runs (an import error, a failing beforeAll) counts as one failure, so a
 * broken file can never look like a passing run.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      if (module.state() === 'failed' && tests.every((test) => test.result().state !== 'failed')) failed++;
      for (const test of tests) {
        const { state } = test.result();
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    console.log(`\n${process.env.TEST_STORAGE === 's3' ? 'server-s3' : 'server'}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
}
