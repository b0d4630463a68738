// Counting over time windows in constant memory per key.
//
// Rate limits use the sliding-window counter: two fixed windows, the current
// one and the previous one, the previous weighted by how much of it still
// overlaps the sliding window ending now. Three numbers per key, no per-hit
// timestamps, and the same arithmetic works over Redis (a hash with two fields).

/** The raw counts of a key's two fixed windows at one moment. */
export interface WindowSample {
  /** Hits in the fixed window containing the moment. */
  current: number;
  /** Hits in the fixed window before it. */
  previous: number;
  /** How far into the current fixed window the moment is (ms). */
  elapsedMs: number;
  windowMs: number;
}

/** Estimated hits in the sliding window ending at the sample's moment. */
export function slidingCount(s: WindowSample): number {
  const overlap = 1 - s.elapsedMs / s.windowMs;
  return s.current + s.previous * (overlap > 0 ? overlap : 0);
}

/** The sample `laterMs` after the given one, with no hits in between. */
export function ageSample(s: WindowSample, laterMs: number): WindowSample {
  if (laterMs <= 0) return s;
  const w = s.windowMs;
  const elapsed = s.elapsedMs + laterMs;
  if (elapsed < w) return { current: s.current, previous: s.previous, elapsedMs: elapsed, windowMs: w };
  if (elapsed < 2 * w) return { current: 0, previous: s.current, elapsedMs: elapsed - w, windowMs: w };
  return { current: 0, previous: 0, elapsedMs: elapsed % w, windowMs: w };
}

/**
 * How long until one more hit fits under `limit` (ms), if nothing else is
 * added: the sliding count falls as the previous window slides out, then as
 * the current one becomes the previous.
 */
export function retryAfterMs(s: WindowSample, limit: number): number {
  const w = s.windowMs;
  const room = limit - 1; // the count must drop to limit-1 for one more hit
  if (s.current <= room) {
    if (s.previous <= 0) return 0;
    // current + previous * (1 - (e + t) / w) <= room
    const t = Math.min(w * (1 - (room - s.current) / s.previous) - s.elapsedMs, w - s.elapsedMs);
    return t > 0 ? Math.ceil(t) : 0;
  }
  // Wait for the next window, then for `current` to slide out far enough.
  const t = w - s.elapsedMs + (s.current > 0 ? w * (1 - room / s.current) : 0);
  return Math.ceil(t);
}

/** A sliding-window counter kept in process. */
export class SlidingCounter {
  private index = -1;
  private current = 0;
  private previous = 0;

  private roll(now: number, windowMs: number): number {
    const index = Math.floor(now / windowMs);
    if (index !== this.index) {
      this.previous = index === this.index + 1 ? this.current : 0;
      this.current = 0;
      this.index = index;
    }
    return now - index * windowMs;
  }

  /** Adds `by` hits (0 to read) and returns the two windows' counts. */
  add(now: number, windowMs: number, by = 1): WindowSample {
    const elapsedMs = this.roll(now, windowMs);
    this.current += by;
    return { current: this.current, previous: this.previous, elapsedMs, windowMs };
  }

  /** The sliding count at `now` without adding. */
  count(now: number, windowMs: number): number {
    const elapsedMs = this.roll(now, windowMs);
    const overlap = 1 - elapsedMs / windowMs;
    return this.current + this.previous * overlap;
  }
}

/** A plain counter over tumbling windows (404s, errors): resets when its window is over. */
export class TumblingCounter {
  private start = 0;
  count = 0;
  /** A second count in the same window (errors out of requests). */
  other = 0;

  /** Adds to the count (and optionally to `other`); returns the count in the current window. */
  add(now: number, windowMs: number, by: number, other = 0): number {
    if (now - this.start >= windowMs) {
      this.start = now;
      this.count = 0;
      this.other = 0;
    }
    this.count += by;
    this.other += other;
    return this.count;
  }
}

const BITS = 256;

/**
 * How many distinct values (paths, user agents) were seen in a tumbling
 * window, in 32 bytes whatever the number: linear counting over a 256-bit
 * bitmap of value hashes. Exact for small counts, within a few percent up to
 * several hundred, saturating (reported as "at least") beyond ~1,000.
 */
export class DistinctCounter {
  private start = 0;
  private bits = 0;
  private first = -1;
  private map: Uint32Array | undefined;

  /** Adds a hashed value; returns the estimated distinct count in the window. */
  add(hash: number, now: number, windowMs: number): number {
    if (now - this.start >= windowMs) {
      this.start = now;
      this.bits = 0;
      this.first = -1;
      this.map?.fill(0);
    }
    const bit = hash & (BITS - 1);
    if (this.bits === 0) {
      // One value needs no bitmap; most clients never send a second path.
      this.first = bit;
      this.bits = 1;
      return 1;
    }
    if (this.map === undefined) {
      if (bit === this.first) return 1;
      this.map = new Uint32Array(BITS / 32);
      this.map[this.first >>> 5] = (this.map[this.first >>> 5] as number) | (1 << (this.first & 31));
    }
    const word = bit >>> 5;
    const mask = 1 << (bit & 31);
    const current = this.map[word] as number;
    if ((current & mask) === 0) {
      this.map[word] = current | mask;
      this.bits++;
    }
    return this.estimate();
  }

  estimate(): number {
    if (this.bits <= 1) return this.bits;
    const zero = BITS - this.bits;
    if (zero === 0) return BITS * Math.log(BITS); // saturated: at least this many
    return Math.round(-BITS * Math.log(zero / BITS));
  }
}

/** FNV-1a over (at most the first 256 characters of) a string. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  const end = s.length < 256 ? s.length : 256;
  for (let i = 0; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Mix the high bits down: the bitmap uses the low 8.
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  return h >>> 0;
}
