// `dogpile-cache/testing`: the suites every backend runs, for third-party backends too.
// They use the test runner's global `describe`/`it`/`afterEach` (mocha, or any runner that offers them).
export { backendConformanceSuite, SuiteRegions } from './backend-suite.js';
export type { SuiteOptions } from './backend-suite.js';
export { mutexConformanceSuite } from './mutex-suite.js';
