// POSIX sh tokenizer. Imports nothing from the agent or from Node.js.

export * from './kinds.js';
export { ShellToken, tokenizeShell, wordValue, firstValueOffset, scanNested } from './tokenizer.js';
export {
  ROLE_NONE,
  ROLE_COMMAND,
  ROLE_ARGUMENT,
  ROLE_OPERAND,
  ROLE_ASSIGNMENT,
  ROLE_REDIRECT_TARGET,
  ROLE_KEYWORD,
  ROLE_OTHER,
  classifyWords,
  commandNames,
  innerRange,
} from './structure.js';
