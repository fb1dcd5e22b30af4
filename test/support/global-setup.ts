// Root hooks for the whole test run. Real servers are started here (see servers.ts).
export const mochaHooks = {};
