// Case-insensitive word table. The tokenizer resolves every identifier to a
// word id (or -1) without building a substring: it hashes the source range
// and compares characters. Dialect keywords and the words detectors care
// about (function names, catalog names) are interned at module load.

const MAX_WORD_LENGTH = 32;

const words: string[] = [];
const hashes: number[] = [];
let slots = new Int32Array(1024).fill(-1);
let mask = slots.length - 1;

export const HASH_SEED = 0x811c9dc5;

/** One FNV-1a step over an ASCII-lower-cased char code. */
export function hashStep(h: number, c: number): number {
  if (c >= 65 && c <= 90) c |= 32;
  return Math.imul(h ^ c, 16777619);
}

/** Final hash: 30 bits, so it stays a small integer in V8 and never boxes. */
export function hashFinish(h: number): number {
  return h & 0x3fffffff;
}

function hashRange(text: string, start: number, end: number): number {
  let h = HASH_SEED;
  for (let i = start; i < end; i++) h = hashStep(h, text.charCodeAt(i));
  return hashFinish(h);
}

function sameWord(word: string, text: string, start: number, end: number): boolean {
  if (word.length !== end - start) return false;
  for (let i = 0; i < word.length; i++) {
    let c = text.charCodeAt(start + i);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

function place(id: number): void {
  let slot = hashes[id]! & mask;
  while (slots[slot] !== -1) slot = (slot + 1) & mask;
  slots[slot] = id;
}

/** Word id of text[start, end), case-insensitive (ASCII), or -1. */
export function lookupWord(text: string, start: number, end: number): number {
  if (end - start > MAX_WORD_LENGTH || end <= start) return -1;
  return lookupHashed(hashRange(text, start, end), text, start, end);
}

/** Like lookupWord, with the hash already computed by the caller (hashStep from HASH_SEED, then hashFinish). */
export function lookupHashed(h: number, text: string, start: number, end: number): number {
  if (end - start > MAX_WORD_LENGTH) return -1;
  let slot = h & mask;
  for (;;) {
    const id = slots[slot]!;
    if (id === -1) return -1;
    if (hashes[id] === h && sameWord(words[id]!, text, start, end)) return id;
    slot = (slot + 1) & mask;
  }
}

/** Adds a word (idempotent) and returns its id. Call at module load, not per request. */
export function internWord(word: string): number {
  const w = word.toLowerCase();
  const found = lookupWord(w, 0, w.length);
  if (found !== -1) return found;
  if (w.length === 0 || w.length > MAX_WORD_LENGTH) throw new RangeError('bad word: ' + word);
  const id = words.length;
  words.push(w);
  hashes.push(hashRange(w, 0, w.length));
  if (words.length * 2 > slots.length) {
    slots = new Int32Array(slots.length * 2).fill(-1);
    mask = slots.length - 1;
    for (let i = 0; i < words.length; i++) place(i);
  } else {
    place(id);
  }
  return id;
}

/** The lower-case text of a word id. */
export function wordText(id: number): string {
  return words[id] ?? '';
}

export function wordCount(): number {
  return words.length;
}
