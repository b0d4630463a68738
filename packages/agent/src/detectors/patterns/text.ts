// Small string helpers shared by the pattern sensors. No regular expressions:
// everything here is one bounded pass over the input.

/** `s[start..end)` in lower case. */
export function lower(s: string, start: number, end: number): string {
  return s.slice(start, end).toLowerCase();
}

/** ASCII lower case of one char code. */
export function lc(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

/** Whether `s` has `word` (lower-case ASCII) at `i`, ignoring ASCII case. */
export function hasAt(s: string, i: number, word: string): boolean {
  if (i < 0 || i + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) {
    if (lc(s.charCodeAt(i + k)) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** First index of `word` (lower-case ASCII) in `s[from..end)`, ignoring ASCII case; -1 when absent. */
export function indexOfCi(s: string, word: string, from: number, end: number): number {
  const first = word.charCodeAt(0);
  const last = end - word.length;
  for (let i = from; i <= last; i++) {
    if (lc(s.charCodeAt(i)) === first && hasAt(s, i, word)) return i;
  }
  return -1;
}

export function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

export function isAsciiAlnum(c: number): boolean {
  return isAsciiLetter(c) || (c >= 48 && c <= 57);
}
