// The well-known symbols the public classes implement, declared here so that the published
// declarations need no Node types: Node's util.inspect.custom (by its registered key) and
// Symbol.dispose (declared as lib.esnext.disposable and @types/node declare it, for
// consumers whose lib has neither).
declare global {
  interface SymbolConstructor {
    /** The method `using` calls at the end of its block (explicit resource management). */
    readonly dispose: unique symbol;
  }
}

/** Node's `util.inspect.custom`: what `console.log` calls to print an object. */
export const INSPECT_CUSTOM: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/**
 * Node's Buffer where the consumer has Node's types (@types/node declares `globalThis.Buffer`),
 * else the Uint8Array it extends: what the library returns as bytes, typed without naming Buffer.
 */
export type NodeBuffer = typeof globalThis extends { Buffer: { prototype: infer B } } ? B : Uint8Array;
