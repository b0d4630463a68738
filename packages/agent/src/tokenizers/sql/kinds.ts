// Token kinds and flags, shared by the tokenizer and its consumers. Plain
// numeric constants so token arrays can be typed arrays.

export const TK_WHITESPACE = 0;
export const TK_COMMENT = 1;
export const TK_STRING = 2;
export const TK_NUMBER = 3;
export const TK_IDENTIFIER = 4;
export const TK_QUOTED_IDENTIFIER = 5;
export const TK_KEYWORD = 6;
export const TK_OPERATOR = 7;
/** One of `( ) , ; .` */
export const TK_PUNCTUATION = 8;
export const TK_PLACEHOLDER = 9;

export const TOKEN_KIND_NAMES: readonly string[] = [
  'whitespace',
  'comment',
  'string',
  'number',
  'identifier',
  'quoted_identifier',
  'keyword',
  'operator',
  'punctuation',
  'placeholder',
];

/** A string, quoted identifier or comment that hit the end of input. */
export const F_UNTERMINATED = 1;
/** MySQL `/*!` or MariaDB `/*M!` opener: what follows is code, not comment. */
export const F_EXEC_OPEN = 2;
/** The `*\/` that closes an executable comment. */
export const F_EXEC_CLOSE = 4;
/** `--` or `#` comment (runs to end of line), as opposed to a block comment. */
export const F_LINE_COMMENT = 8;
