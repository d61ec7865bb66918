// Test helpers shared by every package's tests (`@esb/contracts/testing`); never imported by code that ships.
export { until, type UntilOptions } from './testing/until.js';
export { FakeClock } from './testing/fake-clock.js';
export { tempDirs } from './testing/temp-dirs.js';
