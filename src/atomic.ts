// Files written whole or not at all: under a temporary name in the same folder, flushed,
// then renamed over the target, so a crash leaves either the old file or the new one.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// writeSync writes at most 2 GiB - 1 per call on some platforms; write in smaller steps.
const IO_CHUNK = 1 << 30;

// Makes the rename itself durable; not every platform lets a folder be opened for fsync.
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

/**
 * Writes `path` atomically: `fill` is handed a function that appends bytes to the temporary
 * file; if it throws, the temporary file is removed and `path` is left as it was.
 */
export function writeFileAtomic(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined = openSync(temporary, 'wx');
  try {
    const target = fd;
    fill((bytes) => {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(target, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done));
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(temporary); } catch { /* already gone */ }
    throw error;
  }
  syncFolder(folder);
}
