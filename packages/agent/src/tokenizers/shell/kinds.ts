// Token kinds, flags and sub-range kinds of the POSIX shell tokenizer. Plain
// numeric constants; consumers switch on them.

export const SH_WORD = 1;
export const SH_NEWLINE = 2;
/** `# …` to the end of the line (only where a word could start). */
export const SH_COMMENT = 3;
/** The lines of a here-document, including the delimiter line. */
export const SH_HEREDOC_BODY = 4;
/** `<`, `>`, `>>`, `<<`, `<<-`, `<<<`, `<&`, `>&`, `<>`, `>|`, `&>`, `&>>`, with an IO number (`2>`) when present. */
export const SH_REDIRECT = 5;

// Control operators. Every kind >= SH_FIRST_OPERATOR is one.
export const SH_FIRST_OPERATOR = 16;
/** `;` */
export const SH_SEMI = 16;
/** `&` */
export const SH_AMP = 17;
/** `&&` */
export const SH_AND_IF = 18;
/** `||` */
export const SH_OR_IF = 19;
/** `|` and bash `|&` */
export const SH_PIPE = 20;
/** `(` */
export const SH_LPAREN = 21;
/** `)` */
export const SH_RPAREN = 22;
/** `;;`, and bash `;&` / `;;&` */
export const SH_DSEMI = 23;

export const SH_KIND_NAMES: Readonly<Record<number, string>> = {
  [SH_WORD]: 'word',
  [SH_NEWLINE]: 'newline',
  [SH_COMMENT]: 'comment',
  [SH_HEREDOC_BODY]: 'heredoc',
  [SH_REDIRECT]: 'redirect',
  [SH_SEMI]: 'semi',
  [SH_AMP]: 'amp',
  [SH_AND_IF]: 'and_if',
  [SH_OR_IF]: 'or_if',
  [SH_PIPE]: 'pipe',
  [SH_LPAREN]: 'lparen',
  [SH_RPAREN]: 'rparen',
  [SH_DSEMI]: 'dsemi',
};

// Token flags.
/** Some part of the word was inside quotes or backslash-escaped. */
export const SF_QUOTED = 1;
/** A quote, substitution or here-document ran into the end of input. */
export const SF_UNTERMINATED = 2;
/** Unquoted `*`, `?` or `[…]`. */
export const SF_GLOB = 4;
/** Unquoted `~` at the start of the word. */
export const SF_TILDE = 8;
/** Unquoted bash brace expansion `{a,b}` / `{1..3}`. */
export const SF_BRACE = 16;
/** The word holds a parameter expansion or a substitution. */
export const SF_EXPANSION = 32;
/** `NAME=value` */
export const SF_ASSIGNMENT = 64;
/** Redirect `<<` or `<<-`: the next word is a here-document delimiter. */
export const SF_HEREDOC = 128;
/** Redirect `<<-`: leading tabs are stripped from the body and delimiter line. */
export const SF_HEREDOC_STRIP = 256;
/** Redirect `<<<` (bash here-string). */
export const SF_HERESTRING = 512;
/** Here-document body whose delimiter was quoted: no expansions inside. */
export const SF_LITERAL_BODY = 1024;

// Quote records: [kind, start, end] triples in `ShellToken.quotes`. `start` is
// the opening delimiter (`'`, `"`, `\`, or the `$` of `$'…'` / `$"…"`), `end`
// is one past the closing delimiter, or the end of input when unterminated.
export const Q_SINGLE = 1;
export const Q_DOUBLE = 2;
/** A backslash and the one character it escapes (outside or inside double quotes). */
export const Q_ESCAPE = 3;
/** bash `$'…'` */
export const Q_ANSI_C = 4;
/** bash `$"…"` */
export const Q_LOCALE = 5;
/** Or-ed into a quote kind: no closing delimiter. */
export const Q_UNTERMINATED = 0x100;
export const Q_KIND_MASK = 0xff;

// Expansion records: [kind, start, end] triples in `ShellToken.expansions`.
// `start` is the `$`, backtick, or `<`/`>` of a process substitution; `end` is
// one past the closing delimiter (or the name for `$NAME`), or the end of input.
/** `$NAME`, `$1`, `$@` … */
export const X_PARAM = 1;
/** `${…}` */
export const X_PARAM_BRACE = 2;
/** `$(…)` */
export const X_COMMAND = 3;
/** `$((…))` */
export const X_ARITH = 4;
/** `` `…` `` */
export const X_BACKTICK = 5;
/** bash `<(…)` / `>(…)` */
export const X_PROCESS = 6;
/** Or-ed into an expansion kind: inside double quotes (or an unquoted here-document). */
export const X_IN_DQUOTE = 0x100;
/** Or-ed into an expansion kind: no closing delimiter. */
export const X_UNTERMINATED = 0x200;
export const X_KIND_MASK = 0xff;

export const X_KIND_NAMES: Readonly<Record<number, string>> = {
  [X_PARAM]: 'parameter expansion $NAME',
  [X_PARAM_BRACE]: 'parameter expansion ${…}',
  [X_COMMAND]: 'command substitution $(…)',
  [X_ARITH]: 'arithmetic expansion $((…))',
  [X_BACKTICK]: 'command substitution `…`',
  [X_PROCESS]: 'process substitution <(…)',
};

// Glob records: [kind, position] pairs in `ShellToken.globs` (unquoted only).
export const G_STAR = 1;
export const G_QUESTION = 2;
/** Position of the `[` of a `[…]` bracket expression. */
export const G_BRACKET = 3;
export const G_TILDE = 4;
/** Position of the `{` of a brace expansion. */
export const G_BRACE = 5;

export const G_KIND_NAMES: Readonly<Record<number, string>> = {
  [G_STAR]: 'glob *',
  [G_QUESTION]: 'glob ?',
  [G_BRACKET]: 'glob […]',
  [G_TILDE]: 'tilde expansion ~',
  [G_BRACE]: 'brace expansion {…}',
};
