interface Node<K, V> {
  key: K;
  value: V;
  at: number;
  newer: Node<K, V> | undefined;
  older: Node<K, V> | undefined;
}

/**
 * A least-recently-used map with a maximum size and a maximum age: a Map from
 * key to node plus a doubly-linked list from most to least recently used. A
 * hit moves the node to the front, a set past the bound drops the tail, and
 * entries idle for longer than `maxAgeMs` are treated as absent (and dropped
 * when met, or when they reach the tail). Every operation is O(1); the Map is
 * never iterated (iterating a Map that has seen many deletions skips its
 * tombstones, which is what makes Map-order LRUs slow under churn).
 *
 * Memory is bounded by `maxSize` entries whatever the traffic: the
 * request-level layer keys it by client IP, which an attacker chooses.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, Node<K, V>>();
  private newest: Node<K, V> | undefined;
  private oldest: Node<K, V> | undefined;

  constructor(
    public maxSize: number,
    public maxAgeMs: number,
  ) {
    if (!(maxSize >= 1)) throw new RangeError('LruMap maxSize must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value, refreshed as most recently used; undefined when absent or expired. */
  get(key: K, now: number = Date.now()): V | undefined {
    const node = this.map.get(key);
    if (node === undefined) return undefined;
    if (now - node.at > this.maxAgeMs) {
      this.remove(node);
      return undefined;
    }
    node.at = now;
    if (node !== this.newest) {
      this.unlink(node);
      this.pushNewest(node);
    }
    return node.value;
  }

  /** The value without refreshing it. */
  peek(key: K, now: number = Date.now()): V | undefined {
    const node = this.map.get(key);
    if (node === undefined || now - node.at > this.maxAgeMs) return undefined;
    return node.value;
  }

  set(key: K, value: V, now: number = Date.now()): void {
    const existing = this.map.get(key);
    if (existing !== undefined) {
      existing.value = value;
      existing.at = now;
      if (existing !== this.newest) {
        this.unlink(existing);
        this.pushNewest(existing);
      }
      return;
    }
    const node: Node<K, V> = { key, value, at: now, newer: undefined, older: undefined };
    this.map.set(key, node);
    this.pushNewest(node);
    this.trim(now);
  }

  delete(key: K): boolean {
    const node = this.map.get(key);
    if (node === undefined) return false;
    this.remove(node);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.newest = undefined;
    this.oldest = undefined;
  }

  /** Drops entries over the size bound, and a few expired ones from the old end (an amortised sweep). */
  trim(now: number = Date.now()): void {
    while (this.map.size > this.maxSize && this.oldest !== undefined) this.remove(this.oldest);
    for (let i = 0; i < 4; i++) {
      const last = this.oldest;
      if (last === undefined || now - last.at <= this.maxAgeMs) break;
      this.remove(last);
    }
  }

  /** Live entries, most recently used first. */
  *entries(now: number = Date.now()): IterableIterator<[K, V]> {
    for (let node = this.newest; node !== undefined; node = node.older) {
      if (now - node.at <= this.maxAgeMs) yield [node.key, node.value];
    }
  }

  private pushNewest(node: Node<K, V>): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = node;
    this.newest = node;
    if (this.oldest === undefined) this.oldest = node;
  }

  private unlink(node: Node<K, V>): void {
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.newest = node.older;
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.oldest = node.newer;
    node.newer = undefined;
    node.older = undefined;
  }

  private remove(node: Node<K, V>): void {
    this.unlink(node);
    this.map.delete(node.key);
  }
}
