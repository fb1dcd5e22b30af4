import { expect } from 'chai';
import fc from 'fast-check';
import { ArenaAllocator, MIN_BLOCK, binOf, blockSizeFor } from '../../../src/backends/shared-memory/allocator.js';
import { BIN_COUNT, bucketCountFor, sectionsOf, viewsOf, type LayoutParams } from '../../../src/backends/shared-memory/layout.js';

function arena(arenaBytes: number): ArenaAllocator {
  const params: LayoutParams = { maxEntries: 8, bucketCount: bucketCountFor(8), lockSlots: 16, arenaBytes, maxKeyBytes: 64, maxValueBytes: 1024, lockLeaseMs: 1000 };
  const allocator = new ArenaAllocator(viewsOf(new SharedArrayBuffer(sectionsOf(params).totalBytes), params));
  allocator.reset();
  return allocator;
}

describe('shared-memory: arena allocator', () => {
  it('sizes blocks with an 8-byte header and footer, rounded to 8, at least 16', () => {
    expect(blockSizeFor(0)).to.equal(MIN_BLOCK);
    expect(blockSizeFor(1)).to.equal(16);
    expect(blockSizeFor(8)).to.equal(16);
    expect(blockSizeFor(9)).to.equal(24);
    expect(blockSizeFor(100)).to.equal(112);
  });

  it('puts every size in a bin whose sizes are never smaller than a lower bin', () => {
    let previous = 0;
    for (let size = 16; size < 2 ** 31 - 8; size = size < 4096 ? size + 8 : Math.floor((size * 1.07) / 8) * 8) {
      const bin = binOf(size);
      expect(bin).to.be.within(previous, BIN_COUNT - 1);
      previous = bin;
    }
  });

  it('hands out the whole arena, refuses what does not fit, and merges freed neighbours back into one block', () => {
    const allocator = arena(4096);
    const blocks = [allocator.allocate(1024), allocator.allocate(1024), allocator.allocate(1024), allocator.allocate(1024)];
    expect(blocks).to.deep.equal([0, 1024, 2048, 3072]);
    expect(allocator.allocate(16)).to.equal(-1);
    expect(allocator.usedBytes).to.equal(4096);
    allocator.free(blocks[1]!);
    allocator.free(blocks[3]!);
    expect(allocator.allocate(2048)).to.equal(-1);
    allocator.free(blocks[2]!);
    expect(allocator.largestFree()).to.equal(3072);
    expect(allocator.allocate(2048)).to.equal(1024);
    allocator.free(1024);
    allocator.free(blocks[0]!);
    expect(allocator.largestFree()).to.equal(4096);
    expect(allocator.verify()).to.deep.equal({ usedBytes: 0, freeBytes: 4096, blocks: 1 });
  });

  it('never overlaps blocks and keeps its structure consistent under any sequence of allocations and frees', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), bytes: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(operation, { minLength: 50, maxLength: 300 }), (operations) => {
        const size = 16 * 1024;
        const allocator = arena(size);
        const live = new Map<number, number>();
        for (const op of operations) {
          if (op.kind === 'alloc') {
            const blockSize = blockSizeFor(op.bytes);
            const offset = allocator.allocate(blockSize);
            if (offset < 0) {
              expect(allocator.largestFree()).to.be.lessThan(blockSize);
              continue;
            }
            expect(offset % 8).to.equal(0);
            expect(offset + blockSize).to.be.at.most(size);
            for (const [start, length] of live) expect(offset >= start + length || offset + allocator.sizeAt(offset) <= start, 'overlap').to.equal(true);
            live.set(offset, allocator.sizeAt(offset));
          } else if (live.size > 0) {
            const offset = [...live.keys()][op.pick % live.size]!;
            allocator.free(offset);
            live.delete(offset);
          }
          allocator.verify();
        }
        for (const offset of live.keys()) allocator.free(offset);
        expect(allocator.verify()).to.deep.equal({ usedBytes: 0, freeBytes: size, blocks: 1 });
      }),
      { numRuns: 60 },
    );
  });
});
