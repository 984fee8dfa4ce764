// Files and folders written whole or not at all. Everything is written under a temporary
// name next to the target, `.<name>.torchlora-<pid>-<random>.tmp`, flushed to disk, then
// renamed into place, so a crash leaves the old version or the new one. A temporary whose
// process is gone was left by a killed save; the next save of the same target removes it.
import { randomBytes } from 'node:crypto';
import {
  chmodSync, closeSync, copyFileSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, realpathSync, renameSync,
  rmSync, symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { systemError } from './filesystem.js';
import { native } from '../core/native.js';

// writeSync writes at most 2 GiB - 1 per call on some platforms; write in smaller steps.
const IO_CHUNK = 1 << 30;

/** @internal Tests set `exchange` to false to take the path of file systems that cannot exchange. */
export const folderSwap = { exchange: true };

// Makes a rename durable; not every platform lets a folder be opened for fsync.
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: the data itself is already on disk
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

type Suffix = 'tmp' | 'old';

function temporaryName(target: string, token: string, suffix: Suffix): string {
  return join(dirname(target), `.${basename(target)}.torchlora-${process.pid}-${token}.${suffix}`);
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// A process that is gone cannot be writing; EPERM means it exists under another user.
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Leftover { path: string; token: string; suffix: Suffix }

/**
 * Temporaries of `target` whose process is gone: left by a save that was killed. Earlier
 * versions named a file's temporary `.<name>.<pid>.<random>.tmp`; those are found too.
 */
function leftovers(target: string): Leftover[] {
  const name = escapeRegex(basename(target));
  const pattern = new RegExp(`^\\.${name}\\.(?:torchlora-(\\d+)-([0-9a-f]+)\\.(tmp|old)|(\\d+)\\.([0-9a-f]+)\\.tmp)$`);
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return []; // no parent folder yet: nothing was left
  }
  return names.flatMap((entry) => {
    const match = pattern.exec(entry);
    if (match === null || isAlive(Number(match[1] ?? match[4]))) return [];
    return [{ path: join(dirname(target), entry), token: match[2] ?? match[5]!, suffix: (match[3] ?? 'tmp') as Suffix }];
  });
}

// Cleaning up must not hide the error that made it necessary.
function removeQuietly(path: string): void {
  try { rmSync(path, { recursive: true, force: true }); } catch { /* a later save removes it */ }
}

/** Removes what killed saves of `target` left behind (after recoverFolder has used it). */
export function removeLeftovers(target: string): void {
  for (const { path } of leftovers(target)) removeQuietly(path);
}

/**
 * Finishes a two-rename swap (see swapByRenames) that was killed between its renames: the
 * target is missing, the old folder is at `.old`, and the complete new one at `.tmp` of the
 * same token, which is moved into place. Loads and saves call this first.
 */
export function recoverFolder(path: string): void {
  const target = resolve(path); // "a/b/.." has no name of its own to put temporaries next to
  if (lstatSync(target, { throwIfNoEntry: false }) !== undefined) return;
  const found = leftovers(target);
  for (const old of found.filter((item) => item.suffix === 'old')) {
    const fresh = found.find((item) => item.suffix === 'tmp' && item.token === old.token);
    if (fresh === undefined) continue;
    renameSync(fresh.path, target);
    syncFolder(dirname(target));
    return;
  }
}

/**
 * Writes a new file `path` (it must not exist): `fill` is handed a function that appends
 * bytes; the file is flushed to disk before this returns. On failure the file is removed.
 */
export function writeFileDurable(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  let fd: number | undefined = openSync(path, 'wx');
  try {
    const target = fd;
    fill((bytes) => {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(target, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done));
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(path); } catch { /* already gone */ }
    throw error;
  }
}

/**
 * Writes `path` atomically: `fill` is handed a function that appends bytes to the temporary
 * file; if it throws, the temporary file is removed and `path` is left as it was.
 */
export function writeFileAtomic(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const target = resolve(path);
  removeLeftovers(target);
  const temporary = temporaryName(target, randomBytes(6).toString('hex'), 'tmp');
  writeFileDurable(temporary, fill);
  try {
    renameSync(temporary, target);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
  syncFolder(dirname(target));
}

/**
 * Carries every entry of folder `from` that `to` lacks into `to`: hard links (the bytes are
 * not copied), folders made and filled the same way, symbolic links remade, a copy where a
 * link is refused. Symbolic links are not followed, so this ends with the tree.
 */
function carryOver(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (lstatSync(target, { throwIfNoEntry: false }) !== undefined) continue; // written by this save
    if (entry.isDirectory()) {
      mkdirSync(target);
      carryOver(source, target);
    } else if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

// Where the file system cannot exchange two names in one step (ENOSYS: no renameat2; EINVAL,
// ENOTSUP: a file system without RENAME_EXCHANGE).
const CANNOT_EXCHANGE = new Set(['EINVAL', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV']);

/** Exchanges two existing paths in one atomic step; false where the file system cannot. */
function exchange(a: string, b: string): boolean {
  if (!folderSwap.exchange) return false;
  const errno = native.exchangePaths(a, b);
  if (errno === 0) return true;
  const code = getSystemErrorName(-errno);
  if (CANNOT_EXCHANGE.has(code)) return false;
  // EBUSY: a mount point (a container's volume, say) cannot be moved, only written inside.
  const why = code === 'EBUSY' ? 'the folder is in use or a mount point (one cannot be replaced: save into a folder inside it)' : 'could not exchange';
  throw systemError(code, why, 'renameat2', b);
}

/**
 * Two renames: target to `.old`, then the new folder into place. Killed in between, the
 * target is missing and recoverFolder finishes the swap. Returns where the old folder is.
 */
function swapByRenames(target: string, fresh: string, token: string): string {
  const old = temporaryName(target, token, 'old');
  renameSync(target, old);
  try {
    renameSync(fresh, target);
  } catch (error) {
    renameSync(old, target);
    throw error;
  }
  return old;
}

/**
 * Replaces folder `target` whole: `fill` writes the new contents into an empty folder (next
 * to the target, under a temporary name, each file flushed with writeFileDurable); entries
 * of the old folder that `fill` did not write are carried over; then the new folder takes
 * the target's place in one atomic step (renameat2 RENAME_EXCHANGE, or one rename when there
 * is no target yet; where the file system cannot exchange, two renames, which the next load
 * or save finishes if a crash comes between them) and the old one is removed. If anything
 * fails before the swap, the temporary folder is removed and the target is as it was.
 */
export function writeFolderAtomic(path: string, fill: (folder: string) => void): void {
  // A link to a folder stays a link: the folder it points to is replaced.
  const target = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ? realpathSync(path) : resolve(path);
  recoverFolder(target);
  removeLeftovers(target);
  const stats = lstatSync(target, { throwIfNoEntry: false });
  if (stats !== undefined && !stats.isDirectory()) throw systemError('ENOTDIR', 'not a directory', 'rename', target);
  const token = randomBytes(6).toString('hex');
  const fresh = temporaryName(target, token, 'tmp');
  mkdirSync(fresh);
  let old: string | undefined;
  try {
    fill(fresh);
    if (stats !== undefined) {
      carryOver(target, fresh);
      chmodSync(fresh, stats.mode & 0o7777); // a shared folder stays shared
    }
    syncFolder(fresh);
    if (stats === undefined) renameSync(fresh, target);
    else old = exchange(target, fresh) ? fresh : swapByRenames(target, fresh, token);
  } catch (error) {
    removeQuietly(fresh);
    throw error;
  }
  syncFolder(dirname(target));
  if (old !== undefined) removeQuietly(old);
}
