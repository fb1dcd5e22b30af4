// Validation of the options lmdb and file share: each bad value is a ValidationError naming the
// backend and the option, raised at construction (so at configure time), and the defaults hold.
import { expect } from 'chai';
import { ValidationError } from '../../../src/errors.js';
import type { CacheBackend } from '../../../src/backends/api.js';
import type { LocalStoreSettings } from '../../../src/backends/local-store/index.js';
import { makeRegion } from '../../../src/index.js';

interface BackendUnderTest extends CacheBackend {
  readonly settings: LocalStoreSettings;
  readonly effectiveMaxAgeMs: number;
}

export interface OptionsSuiteOptions {
  backend: string;
  make: (args: Record<string, unknown>) => BackendUnderTest;
  /** The required arguments over a fresh store. */
  base: () => Record<string, unknown>;
}

export function localStoreOptionsSuite({ backend, make, base }: OptionsSuiteOptions): void {
  describe(`${backend}: shared options`, () => {
    const opened: BackendUnderTest[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((instance) => instance.close?.()));
    });
    const build = (extra: Record<string, unknown>): BackendUnderTest => {
      const instance = make({ ...base(), ...extra });
      opened.push(instance);
      return instance;
    };

    it('defaults: no entry limit, 256 MiB, maxAge from the region, 60 s sweeps, 10 s lease, 20 ms polls, pid check on', () => {
      const { settings } = build({});
      expect(settings.maxEntries).to.equal(Infinity);
      expect(settings.maxBytes).to.equal(256 * 2 ** 20);
      expect(settings.maxAgeMs).to.equal(undefined);
      expect(settings.sweepIntervalMs).to.equal(60_000);
      expect(settings.lockLeaseMs).to.equal(10_000);
      expect(settings.lockPollMs).to.equal(20);
      expect(settings.checkOwnerAlive).to.equal(true);
    });

    it('durations accept milliseconds and strings; limits accept -1 and Infinity', () => {
      const { settings } = build({ maxEntries: -1, maxBytes: Infinity, maxAge: '2h', sweepInterval: -1, lockLease: '1.5s', lockPollInterval: 5, checkOwnerAlive: false });
      expect(settings).to.include({ maxEntries: Infinity, maxBytes: Infinity, maxAgeMs: 7_200_000, sweepIntervalMs: Infinity, lockLeaseMs: 1_500, lockPollMs: 5, checkOwnerAlive: false });
    });

    it('maxAge follows the region: E + max(E, 60 s), never for values that never expire, the explicit one otherwise', async () => {
      const args = base();
      const derived = makeRegion().configure(backend, { expirationTime: '10m', arguments: args });
      await derived.ready;
      expect((derived.actualBackend as BackendUnderTest).effectiveMaxAgeMs).to.equal(20 * 60_000);
      await derived.close();
      const short = makeRegion().configure(backend, { expirationTime: '5s', arguments: args });
      await short.ready;
      expect((short.actualBackend as BackendUnderTest).effectiveMaxAgeMs).to.equal(65_000);
      await short.close();
      const never = makeRegion().configure(backend, { arguments: args });
      await never.ready;
      expect((never.actualBackend as BackendUnderTest).effectiveMaxAgeMs).to.equal(Infinity);
      await never.close();
      const explicit = makeRegion().configure(backend, { expirationTime: '5s', arguments: { ...args, maxAge: '1h' } });
      await explicit.ready;
      expect((explicit.actualBackend as BackendUnderTest).effectiveMaxAgeMs).to.equal(3_600_000);
      await explicit.close();
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['maxEntries', 0, /maxEntries must be a positive integer/],
      ['maxEntries', 1.5, /maxEntries/],
      ['maxEntries', '100', /maxEntries/],
      ['maxBytes', -2, /maxBytes must be a positive integer/],
      ['maxAge', 'soon', /maxAge must be a duration/],
      ['sweepInterval', {}, /sweepInterval must be a duration/],
      ['lockLease', 0, /lockLease must be a duration from 1 ms/],
      ['lockLease', -1, /lockLease must be a duration from 1 ms/],
      ['lockPollInterval', '0ms', /lockPollInterval must be a duration from 1 ms/],
      ['checkOwnerAlive', 'yes', /checkOwnerAlive must be true or false/],
    ];
    for (const [name, value, message] of bad) {
      it(`${name}: ${JSON.stringify(value)} is rejected at construction and at configure`, () => {
        const args = { ...base(), [name]: value };
        expect(() => build(args)).to.throw(ValidationError, message);
        expect(() => makeRegion().configure(backend, { arguments: args })).to.throw(ValidationError, new RegExp(`^${backend} backend: `));
      });
    }

    it('an unknown (misspelt) option is rejected, naming the known ones', () => {
      expect(() => build({ maxEntires: 10 })).to.throw(ValidationError, /unknown option "maxEntires"; the options are .*maxEntries/);
    });

    it('arguments must be an object', () => {
      expect(() => make(['x'] as unknown as Record<string, unknown>)).to.throw(ValidationError, /arguments must be an options object/);
    });
  });
}
