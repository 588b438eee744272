// The model of CLIPS's fact pattern network that decides the order in which an assert visits
// alpha nodes (src/engine/pattern-net.ts). The orders themselves are pinned against clips by
// differential programs 081 and 082; these cases pin the paths and the tree's bookkeeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { netPath, PatternNet } from '../../src/engine/pattern-net.ts';
import { Reader, type SList } from '../../src/engine/reader.ts';

const pattern = (text: string): SList => new Reader(text).read() as SList;
const single = () => false;
/** Every variable of the pattern counts as bound here unless listed in `outside`. */
const path = (text: string, outside: string[] = [], multi: (s: string) => boolean = single) => {
  const vars = new Set([...text.matchAll(/\?([a-z]\w*)/g)].map((m) => m[1] as string));
  for (const v of outside) vars.delete(v);
  return netPath(pattern(text), multi, vars);
};

describe('CLIPS pattern network paths', () => {
  it('drops fresh variables and wildcards; keeps one untested node when nothing is left', () => {
    assert.deepEqual(path('(a (k ?k) (n ?))'), ['R']);
    // Fields equal to an earlier pattern's variables are the join's hash key.
    assert.deepEqual(path('(a (k ?k) (n ?n))', ['k', 'n']), ['R#k,n']);
  });

  it('a literal is a selector and a value level; the join hash marks both when it is last', () => {
    assert.deepEqual(path('(a (k x) (n ?n))'), ['S k ', 'V k SYMBOL:x']);
    assert.deepEqual(path('(a (k ?k) (n 2))', ['k']), ['S n #k', 'V n INTEGER:2#k']);
    assert.deepEqual(path('(a (n 0) (k y))'), ['S n ', 'V n INTEGER:0', 'S k ', 'V k SYMBOL:y']);
  });

  it('tests on the pattern own variables are levels; tests reading other patterns are not', () => {
    assert.deepEqual(path('(a (k ?x) (n ?x))'), ['T n  @k']);
    assert.equal(path('(a (k ?k) (n ?m&:(> ?m 1)))').length, 1);
    assert.deepEqual(path('(a (k ?k) (n ?m&:(> ?m ?other)))', ['other']), ['R']);
    // ?k bound by an earlier pattern: the equality is the join's (hashed on k); the predicate
    // reads the field itself, a pattern test.
    const [first, ...rest] = path('(a (k ?k&:(> (str-length ?k) 0)) (n 1))', ['k']);
    assert.match(first ?? '', /^T k .*\(SYMBOL:str-length @k\)/);
    assert.deepEqual(rest, ['S n #k', 'V n INTEGER:1#k']);
  });

  it('multislots: a length check on the first field, the last field marked', () => {
    const multi = (s: string) => s === 'items' || s === '';
    assert.deepEqual(path('(bag $? x $?)', [], multi), [
      'M [0] len1+',
      'S [1] ',
      'V [1] SYMBOL:x',
      'M [2]  end',
    ]);
    assert.deepEqual(path('(bag $?init z)', [], multi), [
      'T [0] len1+',
      'S [1]  end',
      'V [1] SYMBOL:z end',
    ]);
    assert.deepEqual(path('(bag $?)', [], multi), ['R']);
    // An empty multislot is a zero-length test on the slot, not a field inside it.
    assert.deepEqual(path('(order (items))', [], multi), ['Z items']);
  });
});

describe('CLIPS pattern network tree', () => {
  it('puts a new node first among its siblings and visits depth first, a node before its children', () => {
    const net = new PatternNet();
    const sn = net.add(['S n', 'V n 2']);
    const sk = net.add(['S k', 'V k x']);
    const r = net.add(['R']);
    const deep = net.add(['S k', 'V k x', 'S n', 'V n 0']);
    const order = net.order();
    assert.deepEqual(
      [r, sk, deep, sn].map((n) => order.get(n)),
      [0, 1, 2, 3],
    );
  });

  it('drops the nodes no pattern uses any longer, keeping shared ones', () => {
    const net = new PatternNet();
    const a = net.add(['S k', 'V k x']);
    const b = net.add(['S k', 'V k x', 'S n', 'V n 0']);
    const again = net.add(['S k', 'V k x']);
    assert.equal(a, again);
    net.remove(b);
    assert.deepEqual([...net.order().keys()], [a]);
    net.remove(a);
    assert.deepEqual([...net.order().keys()], [a]);
    net.remove(again);
    assert.equal(net.order().size, 0);
  });
});
