import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small filesystem of its own (a tmpfs), to run out of space on purpose. */
export interface SmallDisk {
  /** Where it is mounted (empty at first). */
  dir: string;
  /**
   * Fills it to the last byte with a file of its own (writes 64 KiB, then 4 KiB, then single bytes until
   * ENOSPC).
   * @returns the bytes written
   */
  fill(): number;
  /** Deletes the filling file: the space is back. */
  free(): void;
  /** Unmounts it and removes the mount point; never throws. */
  unmount(): void;
}

/**
 * Why no small disk can be mounted here (a sentence to skip tests with), or undefined when one can: tries
 * mounting and unmounting a tiny tmpfs. Cheap enough to call while tests are collected, and leaves nothing.
 */
export function smallDiskUnavailable(): string | undefined {
  const disk = mountSmallDisk(64 * 1024);
  if (typeof disk === 'string') return disk;
  disk.unmount();
  return undefined;
}

/**
 * Mounts a tmpfs of `sizeBytes` bytes on a fresh directory (`mount -t tmpfs`: needs root, as in CI).
 * @returns the disk, or a sentence saying why it could not be mounted (the caller skips with it)
 */
export function mountSmallDisk(sizeBytes: number): SmallDisk | string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot mount a tmpfs to fill (needs root: run as root, as CI does): ${stderr || (error as Error).message}`;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      let total = 0;
      try {
        for (const size of [64 * 1024, 4096, 1]) {
          const chunk = Buffer.alloc(size, 0x61);
          for (;;) {
            try {
              total += writeSync(fd, chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return total;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Left for the OS to clean up; a test never fails on its cleanup.
      }
    },
  };
}
