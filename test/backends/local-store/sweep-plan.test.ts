import { expect } from 'chai';
import { planSweep, type SweepCandidate } from '../../../src/backends/local-store/index.js';

const NOW = 1_000_000;

function entries(count: number, bytes = 100, firstCreatedAt = NOW - count): Array<SweepCandidate<string>> {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i}`, createdAt: firstCreatedAt + i, bytes }));
}

describe('local-store: sweep planning', () => {
  it('under every bound and nothing expired: removes nothing', () => {
    const plan = planSweep(entries(10), 1_000, { maxEntries: 10, maxBytes: 1_000, maxAgeMs: Infinity }, NOW);
    expect(plan).to.deep.equal({ expired: [], evicted: [] });
  });

  it('expired entries and bytes that are not entries go first, even under the bounds', () => {
    const candidates = [...entries(5), { key: 'garbage', createdAt: Number.NaN, bytes: 3 }, { key: 'ancient', createdAt: NOW - 10_000, bytes: 100 }];
    const plan = planSweep(candidates, 603, { maxEntries: 100, maxBytes: 10_000, maxAgeMs: 1_000 }, NOW);
    expect(plan.expired).to.deep.equal(['garbage', 'ancient']);
    expect(plan.evicted).to.deep.equal([]);
  });

  it('over maxEntries: evicts the oldest down to 90 % of the bound', () => {
    const shuffled = entries(120).sort(() => Math.random() - 0.5);
    const plan = planSweep(shuffled, 12_000, { maxEntries: 100, maxBytes: Infinity, maxAgeMs: Infinity }, NOW);
    expect(plan.expired).to.deep.equal([]);
    expect(plan.evicted).to.have.length(30);
    expect(plan.evicted).to.deep.equal(Array.from({ length: 30 }, (_, i) => `k${i}`));
  });

  it('over maxBytes: evicts the oldest until the estimate is at 90 % of the bound', () => {
    const plan = planSweep(entries(50, 100), 5_000, { maxEntries: Infinity, maxBytes: 4_000, maxAgeMs: Infinity }, NOW);
    // 5000 → 3600 needs 14 removals of 100 bytes.
    expect(plan.evicted).to.have.length(14);
    expect(plan.evicted[0]).to.equal('k0');
  });

  it('expired entries count towards getting under the bounds', () => {
    const candidates = [...entries(95), ...entries(10, 100, NOW - 50_000).map((entry, i) => ({ ...entry, key: `old${i}` }))];
    const plan = planSweep(candidates, 10_500, { maxEntries: 100, maxBytes: Infinity, maxAgeMs: 1_000 }, NOW);
    expect(plan.expired).to.have.length(10);
    expect(plan.evicted).to.deep.equal([]);
  });
});
