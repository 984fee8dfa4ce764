// The file system as the library meets it: Node's errors turned into the library's classes
// (naming the argument and the caller's path, never a temporary's), and folders made one
// level at a time.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TorchError } from '../core/errors.js';
import { describe, fail } from '../core/validate.js';

/** A Node system error: it has an errno code ('ENOENT') and the call that failed. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  return error instanceof Error && typeof code === 'string' && typeof syscall === 'string';
}

/** A system error made here, shaped as Node's own (for checks Node has no call for). */
export function systemError(code: string, description: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${description}, ${syscall} '${path}'`), { code, syscall, path });
}

// The path given names nothing of the kind needed: the argument is wrong.
const ARGUMENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

/**
 * Node's file-system error as the library's: a TypeError when the path names nothing of the
 * kind `expected` says (ENOENT, ENOTDIR, EISDIR...), a TorchError when the file system
 * refused (EACCES, EROFS, ENOSPC, EIO...). The message names the argument and `path` (the
 * caller's, not a temporary's); `code` and `path` are kept as properties. Any other error
 * is returned as it is.
 */
export function fileError(error: unknown, name: string, path: string, expected: string): unknown {
  if (!isSystemError(error)) return error;
  const code = error.code!;
  // Node's message is "CODE: description, syscall 'path' -> 'dest'": keep what precedes the paths.
  const reason = error.message.split(', ')[0]!;
  const made = ARGUMENT_CODES.has(code)
    ? new TypeError(`Expected ${expected} for ${name} but received ${describe(path)} (${reason})`)
    : new TorchError(`Expected ${expected} for ${name} but the file system refused ${describe(path)} (${reason})`);
  return Object.assign(made, { code, path });
}

/** A path argument: a non-empty string without NUL (which no file system takes). */
export function checkPath(value: unknown, name: string, what: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) fail(what, name, value);
  return value;
}

/**
 * Makes folder `path` and any missing parents, one level at a time: it walks up to the first
 * folder that exists, then makes each level below it, so it ends after at most depth-of-path
 * calls. (Node 20's `mkdirSync(p, { recursive: true })` never returns for a path under /proc.)
 * Errors are the library's, naming argument `name` and its value `given` (when the folder
 * made is a parent of the path the caller gave).
 */
export function makeFolder(path: string, name: string, given = path): void {
  const expected = 'a folder path that can be made';
  const missing: string[] = [];
  try {
    for (let at = resolve(path); ; at = dirname(at)) {
      const stats = statSync(at, { throwIfNoEntry: false });
      if (stats?.isDirectory()) break;
      if (stats !== undefined) throw systemError('ENOTDIR', 'not a directory', 'mkdir', at);
      missing.push(at);
      if (dirname(at) === at) break; // the root itself is missing: mkdir says why
    }
    for (const folder of missing.reverse()) {
      try {
        mkdirSync(folder);
      } catch (error) {
        // Made meanwhile by someone else: as good as made here.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw error;
      }
    }
  } catch (error) {
    throw fileError(error, name, given, expected);
  }
}
