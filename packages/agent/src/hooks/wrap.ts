import { kOriginal } from '../core/symbols.js';

// The patching machinery, reviewed once. Sinks say what to wrap; this file
// does the wrapping the same way everywhere.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (this: any, ...args: any[]) => any;

/** True when `fn` is already a Vigil wrapper. */
export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[kOriginal] !== undefined;
}

export function unwrapped<T>(fn: T): T {
  const original = typeof fn === 'function' ? (fn as unknown as Record<symbol, unknown>)[kOriginal] : undefined;
  return (original ?? fn) as T;
}

/**
 * Replaces `target[name]` with `makeWrapper(original)`, keeping the
 * original's name, length and own properties (some libraries hang
 * promisify.custom or constants on their functions). Wrapping twice is a no-op.
 */
export function wrapMethod(target: object, name: string, makeWrapper: (original: AnyFunction) => AnyFunction): boolean {
  const holder = target as Record<string, unknown>;
  const descriptor = findDescriptor(target, name);
  const original = holder[name];
  if (typeof original !== 'function' || isWrapped(original)) return false;
  if (descriptor !== undefined && descriptor.get !== undefined) return false;
  const wrapper = makeWrapper(original as AnyFunction);
  copyFunctionProperties(original as AnyFunction, wrapper);
  Object.defineProperty(wrapper, kOriginal, { value: original, enumerable: false });
  Object.defineProperty(target, name, {
    value: wrapper,
    writable: descriptor?.writable ?? true,
    enumerable: descriptor?.enumerable ?? false,
    configurable: true,
  });
  return true;
}

function findDescriptor(target: object, name: string): PropertyDescriptor | undefined {
  let obj: object | null = target;
  while (obj !== null) {
    const d = Object.getOwnPropertyDescriptor(obj, name);
    if (d !== undefined) return d;
    obj = Object.getPrototypeOf(obj) as object | null;
  }
  return undefined;
}

function copyFunctionProperties(from: AnyFunction, to: AnyFunction): void {
  for (const key of Reflect.ownKeys(from)) {
    if (key === 'length' || key === 'name' || key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(from, key);
    if (d !== undefined) {
      try {
        Object.defineProperty(to, key, d);
      } catch {
        // Non-configurable on the target: leave it.
      }
    }
  }
  try {
    Object.defineProperty(to, 'name', { value: from.name, configurable: true });
    Object.defineProperty(to, 'length', { value: from.length, configurable: true });
    if (from.prototype !== undefined) to.prototype = from.prototype;
  } catch {
    // Cosmetic only.
  }
}

/** Index of the last argument when it is a function (a Node-style callback), else -1. */
export function callbackIndex(args: ArrayLike<unknown>): number {
  const last = args.length - 1;
  return last >= 0 && typeof args[last] === 'function' ? last : -1;
}
