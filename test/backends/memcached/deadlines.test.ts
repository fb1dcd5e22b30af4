import { expect } from 'chai';
import { DeadlineQueue } from '../../../src/backends/memcached/deadlines.js';
import { sleep } from './support.js';

describe('memcached backend: operation deadlines', () => {
  it('expires operations that did not settle in time, in order, exactly once', async () => {
    const queue = new DeadlineQueue(50);
    const expired: number[] = [];
    const operations = [0, 1, 2, 3].map((index) => queue.start(() => expired.push(index)));
    queue.settle(operations[1]!);
    await sleep(150);
    expect(expired).to.deep.equal([0, 2, 3]);
    expect(queue.size).to.equal(0);
    // Settling after expiry changes nothing.
    queue.settle(operations[0]!);
    await sleep(80);
    expect(expired).to.deep.equal([0, 2, 3]);
  });

  it('never expires an operation that settled', async () => {
    const queue = new DeadlineQueue(30);
    let expired = 0;
    for (let index = 0; index < 5000; index++) queue.settle(queue.start(() => expired++));
    expect(queue.size).to.equal(0);
    await sleep(80);
    expect(expired).to.equal(0);
  });

  it('keeps later operations on their own deadline after earlier ones expire', async () => {
    const queue = new DeadlineQueue(400);
    const expired: string[] = [];
    queue.start(() => expired.push('early'));
    await sleep(200);
    const late = queue.start(() => expired.push('late'));
    await sleep(250);
    expect(expired).to.deep.equal(['early']);
    queue.settle(late);
    await sleep(450);
    expect(expired).to.deep.equal(['early']);
  });

  it('drops settled operations once every older one has settled', () => {
    const queue = new DeadlineQueue(10_000);
    const oldest = queue.start(() => undefined);
    const many = Array.from({ length: 5000 }, () => queue.start(() => undefined));
    for (const pending of many) queue.settle(pending);
    expect(queue.size).to.equal(1);
    expect(queue.retained).to.equal(5001); // the oldest is still pending: nothing behind it can go yet
    queue.settle(oldest);
    expect(queue.size).to.equal(0);
    expect(queue.retained).to.equal(0);
  });
});
