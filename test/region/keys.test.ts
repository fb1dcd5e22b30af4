import { expect } from 'chai';
import fc from 'fast-check';
import {
  functionKeyGenerator,
  functionMultiKeyGenerator,
  kwargFunctionKeyGenerator,
  lengthConditionalMangler,
  makeRegion,
  NO_VALUE,
  sha1MangleKey,
  stableToStr,
  ValidationError,
  type KeyMangler,
} from '../../src/index.js';

// Key generators only look at the name of the function they make keys for.
const one = { name: 'one' };

describe('key generation', () => {
  describe('functionKeyGenerator', () => {
    it('renders name|arg1 arg2, with null and undefined spelled out (E05)', () => {
      const gen = functionKeyGenerator(undefined, one);
      expect(gen(1, 2)).to.equal('one|1 2');
      expect(gen(null, 5)).to.equal('one|null 5');
      expect(gen(undefined, 'x')).to.equal('one|undefined x');
      expect(gen(true, false)).to.equal('one|true false');
    });

    it('puts the namespace between the name and the arguments (E07)', () => {
      expect(functionKeyGenerator('mynamespace', one)(1, 2)).to.equal('one|mynamespace|1 2');
      expect(kwargFunctionKeyGenerator('mynamespace', one)(1, { b: 2 })).to.equal('one|mynamespace|1 b=2');
      expect(functionMultiKeyGenerator('mynamespace', one)(1, 2)).to.deep.equal(['one|mynamespace|1', 'one|mynamespace|2']);
    });

    it('a call without arguments leaves a trailing separator, and an unnamed function is "anonymous"', () => {
      expect(functionKeyGenerator(undefined, one)()).to.equal('one|');
      expect(functionKeyGenerator(undefined, { name: '' })(1)).to.equal('anonymous|1');
    });

    it('always produces strings, even for bigints, symbols and functions (E08)', () => {
      const key = functionKeyGenerator(undefined, one)(1n, Symbol('s'), function named() {}, [1, 'a']);
      expect(key).to.be.a('string');
      expect(key).to.equal('one|1n Symbol(s) [Function named] [1,"a"]');
    });

    it('keeps non-ASCII arguments verbatim in all three generators (E09)', () => {
      expect(functionKeyGenerator(undefined, one)('méil', 'drôle')).to.equal('one|méil drôle');
      expect(kwargFunctionKeyGenerator(undefined, one)('méil', { b: 'drôle' })).to.equal('one|méil b=drôle');
      expect(functionMultiKeyGenerator(undefined, one)('méil', 'drôle')).to.deep.equal(['one|méil', 'one|drôle']);
    });

    it('uses a custom toStr for every argument', () => {
      const gen = functionKeyGenerator('ns', one, (value) => `<${typeof value}>`);
      expect(gen(1, 'a', {})).to.equal('one|ns|<number> <string> <object>');
    });

    it('renders objects with their keys sorted, so key order does not matter', () => {
      const gen = functionKeyGenerator(undefined, one);
      expect(gen({ b: 1, a: { d: 2, c: 3 } })).to.equal(gen({ a: { c: 3, d: 2 }, b: 1 }));
      expect(gen({ a: 1 })).to.not.equal(gen({ a: 2 }));
    });
  });

  describe('kwargFunctionKeyGenerator', () => {
    const gen = kwargFunctionKeyGenerator(undefined, one);

    it('turns a trailing options object into name=value pairs sorted by name (E02)', () => {
      expect(gen(1, { b: 2 })).to.equal('one|1 b=2');
      expect(gen({ b: 2, a: 1 })).to.equal('one|a=1 b=2');
      expect(gen({ a: 1, b: 2 })).to.equal(gen({ b: 2, a: 1 }));
      expect(gen(1, { z: 3, b: 2, m: 'x' })).to.equal('one|1 b=2 m=x z=3');
    });

    it('leaves out options set to undefined, so an absent option and an undefined one share a key (E03/E04)', () => {
      expect(gen(1, { b: undefined })).to.equal('one|1');
      expect(gen(1, { a: true, b: undefined })).to.equal('one|1 a=true');
      expect(gen(1, { b: null })).to.equal('one|1 b=null');
    });

    it('renders nested option values deterministically', () => {
      expect(gen({ filter: { y: 1, x: [2, 3] } })).to.equal('one|filter={"x":[2,3],"y":1}');
      expect(gen({ filter: { x: [2, 3], y: 1 } })).to.equal(gen({ filter: { y: 1, x: [2, 3] } }));
    });

    it('treats only a trailing plain object as options; arrays, Maps, Dates and class instances stay positional', () => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
      }
      expect(gen(1, [2, 3])).to.equal('one|1 [2,3]');
      expect(gen(new Map([['a', 1]]))).to.equal('one|Map{"a":1}');
      expect(gen(new Date(0))).to.equal('one|1970-01-01T00:00:00.000Z');
      expect(gen(new Point(1, 2))).to.equal('one|Point{"x":1,"y":2}');
      expect(gen({ a: 1 }, 2)).to.equal('one|{"a":1} 2');
    });
  });

  describe('functionMultiKeyGenerator', () => {
    it('makes one key per argument (E06)', () => {
      expect(functionMultiKeyGenerator(undefined, one)(1, 2)).to.deep.equal(['one|1', 'one|2']);
      expect(functionMultiKeyGenerator(undefined, one)()).to.deep.equal([]);
      expect(functionMultiKeyGenerator('ns', one, (v) => `#${String(v)}`)('a')).to.deep.equal(['one|ns|#a']);
    });
  });

  describe('sha1MangleKey', () => {
    // Vectors computed with Python's hashlib.sha1(s.encode("utf-8")).hexdigest().
    const vectors: Array<[string, string]> = [
      ['some_key', '53def077a4264bd3183d4eb21b1f56f883e1b572'],
      ['tests.cache.test_decorator:one|1 2', 'aead490a8ace2d69a00160f1fd8fd8a16552c24f'],
      ['one|1 2', '732f53e445044c2b3344de0ef0bb7a92c215a477'],
      ['méil drôle', '2a7d8821334518067e1e0b20f93112dd949c5a83'],
      ['😀 key', '8056ac996357cca8a43387fcf3f51020ab1ca4d6'],
    ];

    for (const [input, hex] of vectors) {
      it(`gives Python's hex for ${JSON.stringify(input)} (E10/E11)`, () => {
        expect(sha1MangleKey(input)).to.equal(hex);
      });
    }

    it('hashes bytes the same as the string they encode (E11)', () => {
      expect(sha1MangleKey(new TextEncoder().encode('some_key'))).to.equal('53def077a4264bd3183d4eb21b1f56f883e1b572');
    });

    it('hashes the generated key of gen(1, 2) to a fixed 40-digit hex (E10)', () => {
      const key = functionKeyGenerator(undefined, one)(1, 2);
      expect(sha1MangleKey(key)).to.equal('732f53e445044c2b3344de0ef0bb7a92c215a477');
      expect(sha1MangleKey('x'.repeat(300))).to.match(/^[0-9a-f]{40}$/);
    });
  });

  describe('lengthConditionalMangler', () => {
    it('mangles only keys at least `length` characters long', () => {
      const mangler = lengthConditionalMangler(10, sha1MangleKey);
      expect(mangler('short')).to.equal('short');
      expect(mangler('123456789')).to.equal('123456789');
      expect(mangler('1234567890')).to.equal(sha1MangleKey('1234567890'));
      expect(mangler('x'.repeat(300))).to.equal(sha1MangleKey('x'.repeat(300)));
    });

    it('rejects a length that is not a non-negative integer and a mangler that is not a function, naming the value', () => {
      expect(() => lengthConditionalMangler(-1, sha1MangleKey)).to.throw(ValidationError, /-1/);
      expect(() => lengthConditionalMangler(Number.NaN, sha1MangleKey)).to.throw(ValidationError, /NaN/);
      expect(() => lengthConditionalMangler('10' as unknown as number, sha1MangleKey)).to.throw(ValidationError, /"10"/);
      expect(() => lengthConditionalMangler(10, 'sha1' as unknown as KeyMangler)).to.throw(ValidationError, /"sha1"/);
    });
  });

  describe('stableToStr', () => {
    it('passes a top-level string through and quotes nested strings, so ["a b"] and ["a", "b"] differ', () => {
      expect(stableToStr('a b')).to.equal('a b');
      expect(stableToStr(['a b'])).to.equal('["a b"]');
      expect(stableToStr(['a', 'b'])).to.equal('["a","b"]');
      expect(stableToStr([1])).to.not.equal(stableToStr(['1']));
    });

    it('renders numbers plainly, with -0 equal to 0 and NaN/Infinity spelled out', () => {
      expect(stableToStr(1.5)).to.equal('1.5');
      expect(stableToStr(-0)).to.equal('0');
      expect(stableToStr(Number.NaN)).to.equal('NaN');
      expect(stableToStr(-Infinity)).to.equal('-Infinity');
    });

    it('gives objects with keys in a different insertion order the same key', () => {
      const a: Record<string, unknown> = {};
      a.z = 1;
      a.a = { y: [1, { q: 1, p: 2 }], x: null };
      const b = { a: { x: null, y: [1, { p: 2, q: 1 }] }, z: 1 };
      expect(stableToStr(a)).to.equal(stableToStr(b));
      expect(stableToStr(a)).to.equal('{"a":{"x":null,"y":[1,{"p":2,"q":1}]},"z":1}');
    });

    it('renders Maps and Sets independently of insertion order', () => {
      expect(stableToStr(new Map<unknown, unknown>([['b', 1], [2, 'x']]))).to.equal(stableToStr(new Map<unknown, unknown>([[2, 'x'], ['b', 1]])));
      expect(stableToStr(new Set([3, 1, 2]))).to.equal(stableToStr(new Set([1, 2, 3])));
      expect(stableToStr(new Map([['a', 1]]))).to.not.equal(stableToStr(new Map([['a', 2]])));
      expect(stableToStr(new Set([1]))).to.not.equal(stableToStr([1]));
      expect(stableToStr(new Map([['a', 1]]))).to.not.equal(stableToStr({ a: 1 }));
    });

    it('renders Dates as ISO strings, and invalid Dates distinctly', () => {
      expect(stableToStr(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).to.equal('2024-01-02T03:04:05.006Z');
      expect(stableToStr([new Date(0)])).to.not.equal(stableToStr([new Date(1)]));
      expect(stableToStr(new Date(Number.NaN))).to.equal('Invalid Date');
    });

    it('renders nested arrays, keeping holes and undefined apart', () => {
      expect(stableToStr([[1, [2, [3]]], []])).to.equal('[[1,[2,[3]]],[]]');
      expect(stableToStr([[1, 2]])).to.not.equal(stableToStr([[1], [2]]));
      // eslint-disable-next-line no-sparse-arrays
      expect(stableToStr([, 1])).to.not.equal(stableToStr([undefined, 1]));
    });

    it('renders cycles as [Circular] and terminates, while a shared (non-cyclic) reference renders in full each time', () => {
      const cyclic: Record<string, unknown> = { name: 'root' };
      cyclic.self = cyclic;
      expect(stableToStr(cyclic)).to.equal('{"name":"root","self":[Circular]}');
      const list: unknown[] = [1];
      list.push(list);
      expect(stableToStr(list)).to.equal('[1,[Circular]]');
      const shared = { v: 1 };
      expect(stableToStr([shared, shared])).to.equal('[{"v":1},{"v":1}]');
      const map = new Map<string, unknown>();
      map.set('me', map);
      expect(stableToStr(map)).to.equal('Map{"me":[Circular]}');
    });

    it('renders typed arrays by content and type, and ArrayBuffers by content', () => {
      expect(stableToStr(new Uint8Array([1, 2]))).to.equal('Uint8Array[1,2]');
      expect(stableToStr(new Uint8Array([1, 2]))).to.not.equal(stableToStr(new Int8Array([1, 2])));
      expect(stableToStr(new Uint8Array([1, 2]).buffer)).to.not.equal(stableToStr(new Uint8Array([1, 3]).buffer));
      expect(stableToStr(new ArrayBuffer(2))).to.not.equal(stableToStr(new ArrayBuffer(3)));
    });

    it('tells apart objects whose state is not in own enumerable properties (RegExp, URL, boxed numbers)', () => {
      expect(stableToStr(/a/g)).to.not.equal(stableToStr(/b/g));
      expect(stableToStr(/a/g)).to.not.equal(stableToStr(/a/i));
      expect(stableToStr(new URL('http://a.example/'))).to.not.equal(stableToStr(new URL('http://b.example/')));
      expect(stableToStr(Object(1))).to.not.equal(stableToStr(Object(2)));
    });

    it('uses a class instance\'s toJSON or its own toString when it defines one, and its class name otherwise', () => {
      class Money {
        constructor(
          private readonly cents: number,
          readonly currency: string,
        ) {}
        toJSON(): unknown {
          return { amount: this.cents / 100, currency: this.currency };
        }
      }
      class Id {
        #value: string;
        constructor(value: string) {
          this.#value = value;
        }
        toString(): string {
          return `id:${this.#value}`;
        }
      }
      class Plain {
        constructor(readonly a: number) {}
      }
      expect(stableToStr(new Money(150, 'EUR'))).to.equal(stableToStr(new Money(150, 'EUR')));
      expect(stableToStr(new Money(150, 'EUR'))).to.not.equal(stableToStr(new Money(151, 'EUR')));
      expect(stableToStr(new Id('x'))).to.contain('id:x');
      expect(stableToStr(new Id('x'))).to.not.equal(stableToStr(new Id('y')));
      expect(stableToStr(new Plain(1))).to.equal('Plain{"a":1}');
      expect(stableToStr(new Plain(1))).to.not.equal(stableToStr({ a: 1 }));
    });

    it('is deterministic for any JSON-like value whatever the key order (property)', () => {
      const shuffleKeys = (value: unknown, seed: number): unknown => {
        if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
        if (value === null || typeof value !== 'object') return value;
        const entries = Object.entries(value as Record<string, unknown>);
        const rotated = entries.map((_, index) => entries[(index + seed) % entries.length]!).reverse();
        return Object.fromEntries(rotated.map(([key, item]) => [key, shuffleKeys(item, seed + 1)]));
      };
      fc.assert(
        fc.property(fc.jsonValue(), fc.nat(10), (value, seed) => {
          expect(stableToStr(shuffleKeys(value, seed))).to.equal(stableToStr(value));
        }),
      );
    });

    it('gives two nested JSON-like values the same rendering only when they are equal (property)', () => {
      // Canonical JSON with sorted keys; JSON already folds -0 into 0, as stableToStr does.
      const canonical = (value: unknown): string =>
        JSON.stringify(value, (_key, item: unknown) =>
          item !== null && typeof item === 'object' && !Array.isArray(item)
            ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            : item,
        );
      fc.assert(
        fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
          expect(stableToStr([a]) === stableToStr([b])).to.equal(canonical(a) === canonical(b));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('keyMangler on every path', () => {
    const mangler: KeyMangler = (key) => `HI!${key}`;

    it('stores under the mangled key and reads, creates and deletes through the original key (B08)', async () => {
      const region = makeRegion({ keyMangler: mangler }).configure('memory');
      const store = region.actualBackend;
      await region.set('some key', 'v');
      expect(store.get('HI!some key')).to.not.equal(NO_VALUE);
      expect(store.get('some key')).to.equal(NO_VALUE);
      expect(await region.get('some key')).to.equal('v');
      expect(region.getSync('some key')).to.equal('v');
      expect((await region.getValueMetadata('some key'))?.payload).to.equal('v');
      expect(region.getValueMetadataSync('some key')?.payload).to.equal('v');
      expect(await region.getOrCreate('some key', () => 'regenerated')).to.equal('v');
      expect(region.getOrCreateSync('some key', () => 'regenerated')).to.equal('v');
      await region.delete('some key');
      expect(store.get('HI!some key')).to.equal(NO_VALUE);

      region.setSync('sync key', 's');
      expect(store.get('HI!sync key')).to.not.equal(NO_VALUE);
      region.deleteSync('sync key');
      expect(store.get('HI!sync key')).to.equal(NO_VALUE);

      expect(await region.getOrCreate('created', () => 'c')).to.equal('c');
      expect(store.get('HI!created')).to.not.equal(NO_VALUE);
      expect(region.getOrCreateSync('created sync', () => 'cs')).to.equal('cs');
      expect(store.get('HI!created sync')).to.not.equal(NO_VALUE);
    });

    it('mangles the keys of the multi operations', async () => {
      const region = makeRegion({ keyMangler: mangler }).configure('memory');
      const store = region.actualBackend;
      await region.setMulti({ a: 1, b: 2 });
      expect(store.get('HI!a')).to.not.equal(NO_VALUE);
      expect(await region.getMulti(['a', 'b', 'c'])).to.deep.equal([1, 2, NO_VALUE]);
      expect(region.getMultiSync(['a', 'b'])).to.deep.equal([1, 2]);
      await region.deleteMulti(['a']);
      expect(store.get('HI!a')).to.equal(NO_VALUE);
      region.setMultiSync(new Map([['m', 3]]));
      expect(store.get('HI!m')).to.not.equal(NO_VALUE);
      region.deleteMultiSync(['m', 'b']);
      expect(store.get('HI!m')).to.equal(NO_VALUE);
      expect(store.get('HI!b')).to.equal(NO_VALUE);

      let requested: string[] = [];
      const values = await region.getOrCreateMulti(['y', 'x'], (keys) => {
        requested = keys;
        return keys.map((key) => key.toUpperCase());
      });
      // The creator sees the region's keys, not the mangled ones.
      expect(requested).to.deep.equal(['x', 'y']);
      expect(values).to.deep.equal(['Y', 'X']);
      expect(store.get('HI!x')).to.not.equal(NO_VALUE);
    });

    it('mangles the keys of decorated functions', async () => {
      const region = makeRegion({ keyMangler: mangler }).configure('memory');
      const store = region.actualBackend;
      const double = region.cacheOnArguments()(function double(n: number) {
        return n * 2;
      });
      expect(double(2)).to.equal(4);
      expect(store.get('HI!double|2')).to.not.equal(NO_VALUE);
      const triple = region.cacheMultiOnArguments()(async function triple(...ns: number[]) {
        return ns.map((n) => n * 3);
      });
      expect(await triple(1)).to.deep.equal([3]);
      expect(store.get('HI!triple|1')).to.not.equal(NO_VALUE);
    });

    it('keyIsLocked mangles the key: it is true for the original key while its creator runs', async () => {
      const region = makeRegion({ keyMangler: mangler }).configure('memory');
      let seen: boolean[] = [];
      await region.getOrCreate('k', async () => {
        seen = [await region.keyIsLocked('k'), await region.keyIsLocked('HI!k')];
        return 1;
      });
      expect(seen).to.deep.equal([true, false]);
      expect(await region.keyIsLocked('k')).to.equal(false);
    });

    it('with sha1MangleKey the backend only ever sees 40-digit hex keys', async () => {
      const region = makeRegion({ keyMangler: sha1MangleKey }).configure('memory');
      await region.set('some_key', 1);
      expect(region.actualBackend.get('53def077a4264bd3183d4eb21b1f56f883e1b572')).to.not.equal(NO_VALUE);
      expect(await region.get('some_key')).to.equal(1);
    });
  });
});
