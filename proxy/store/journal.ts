import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import type { JournalLine } from './journal-line.js';

/** A place in the journal: which file (generation) and how many bytes of it are covered. */
export interface JournalPosition {
  generation: number;
  /** Bytes from the start of that generation's file. */
  offset: number;
}

/** One replayed journal line (its UTF-8 bytes, without the line feed) and the position just after it. */
export interface JournalEntry {
  line: Buffer;
  end: JournalPosition;
}

/** Default size (bytes) past which the journal continues in a new file (generation). */
const ROTATE_BYTES = 16 * 1024 * 1024;
const NAME = /^(\d{10})\.log$/;

/**
 * The write-ahead journal: an append-only log of store writes that makes a write durable with one `write(2)`,
 * so the proxies can forward as soon as it returns, while SQLite takes the same writes later in large
 * transactions (see store.ts).
 *
 * Layout: a directory of files named by generation (`0000000001.log`, …), each a sequence of lines of JSON
 * (JSON escapes newlines inside strings, so a line is exactly one record). The store keeps, in the same SQLite
 * transaction as the writes themselves, the position up to which the journal is applied; replay resumes there
 * (exactly once). A torn last line (an OS crash, or a short write on a full disk) is dropped. A file that
 * grows past the rotation size is continued in the next generation; files wholly applied are deleted.
 *
 * Durability matches SQLite in WAL mode with `synchronous = NORMAL`: a written line survives the process being
 * killed (it is in the OS page cache); an OS crash may lose the last writes.
 */
export class Journal {
  private fd: number;
  private size: number;
  /** Older generations to delete once SQLite holds everything written to them. */
  private retired: number[] = [];
  /** A failed write left bytes that could not be cut off: the next line starts a new generation. */
  private torn = false;

  private constructor(
    private readonly dir: string,
    private generation: number,
    private readonly rotateBytes: number,
  ) {
    this.fd = openSync(this.file(generation), 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Opens the journal in `dir` for appending to a new generation after every existing one and after
   * `applied` (the position SQLite holds, whose file may already be gone). Call {@link Journal.replay} first:
   * files already there are left for {@link Journal.releaseUpTo} to delete. `rotateBytes` (default 16 MiB)
   * is the size past which the journal continues in the next generation's file.
   * @throws Error (EACCES, ENOSPC, …) when the directory or file cannot be created
   */
  static open(dir: string, applied: JournalPosition, rotateBytes = ROTATE_BYTES): Journal {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const existing = Journal.generations(dir);
    const journal = new Journal(dir, Math.max(existing.at(-1) ?? 0, applied.generation) + 1, rotateBytes);
    journal.retired = existing;
    return journal;
  }

  /**
   * The lines written after `from`, in order, across generations. A generation older than `from` is skipped
   * whole; a final line without its newline (torn) is dropped.
   */
  static *replay(dir: string, from: JournalPosition): Generator<JournalEntry> {
    for (const generation of Journal.generations(dir)) {
      if (generation < from.generation) continue;
      const bytes = readFileSync(join(dir, fileName(generation)));
      let offset = generation === from.generation ? from.offset : 0;
      while (offset < bytes.length) {
        const newline = bytes.indexOf(10, offset);
        if (newline < 0) break;
        const line = bytes.subarray(offset, newline);
        offset = newline + 1;
        yield { line, end: { generation, offset } };
      }
    }
  }

  /** Where the next line will start. */
  /** Bytes of lines appended by this process, across every file (for benchmarks and tests). */
  bytesWritten = 0;

  get position(): JournalPosition {
    return { generation: this.generation, offset: this.size };
  }

  /**
   * Appends one line (without its newline) in a single write — a line in pieces with one `writev`, the pieces
   * as they are; past the rotation size, later lines go to the next generation's file.
   *
   * A write that fails (a full disk) leaves nothing behind: the part of the line already written is cut off
   * again, so the next line that fits starts clean. Should even that fail, the next line goes to a new
   * generation (replay drops a torn last line of a file). So a failing disk only refuses lines, and the journal
   * takes them again as soon as there is room.
   * @returns the position just after it
   * @throws Error (ENOSPC, EIO, …) when the write fails; nothing of the line is then in the journal
   */
  append(line: JournalLine): JournalPosition {
    if (this.torn) this.rotate();
    const before = this.size;
    try {
      const written = typeof line === 'string' ? this.writeText(line) : this.writePieces(line);
      this.size += written;
      this.bytesWritten += written;
    } catch (error) {
      try {
        ftruncateSync(this.fd, before);
      } catch {
        this.torn = true;
      }
      throw error;
    }
    const end = this.position;
    if (this.size > this.rotateBytes) {
      try {
        this.rotate();
      } catch {
        // No room for a new file: this one goes on, and the next line past the size tries again.
      }
    }
    return end;
  }

  /**
   * Continues in the next generation's file. The new file is opened before the current one is closed, so a
   * failure changes nothing. @throws Error (ENOSPC, EMFILE, …) when it cannot be created
   */
  private rotate(): void {
    const fd = openSync(this.file(this.generation + 1), 'a', 0o600);
    closeSync(this.fd);
    this.retired.push(this.generation);
    this.generation++;
    this.fd = fd;
    this.size = 0;
    this.torn = false;
  }

  /** Writes a line given as text and its line feed; returns the bytes written. */
  private writeText(line: string): number {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    this.writeFrom(bytes, 0);
    return bytes.length;
  }

  /** Writes a line given as pieces and its line feed with one writev; returns the bytes written. */
  private writePieces(line: readonly Buffer[]): number {
    const pieces = [...line, Buffer.from('\n')];
    const written = writevSync(this.fd, pieces);
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    // A short write (rare on a regular file) is completed from one copy of the whole line.
    if (written < length) this.writeFrom(Buffer.concat(pieces, length), written);
    return length;
  }

  /** Writes `bytes` from `offset` on, however many writes it takes. */
  private writeFrom(bytes: Buffer, offset: number): void {
    let written = offset;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
  }

  /** Told that SQLite now holds everything up to `applied`: deletes the older files it wholly covers. */
  releaseUpTo(applied: JournalPosition): void {
    const keep: number[] = [];
    for (const generation of this.retired) {
      if (generation < applied.generation) rmSync(this.file(generation), { force: true });
      else keep.push(generation);
    }
    this.retired = keep;
  }

  /** Closes the file; with `allApplied` (SQLite holds every line written), deletes every journal file too. */
  close(allApplied: boolean): void {
    closeSync(this.fd);
    if (!allApplied) return;
    for (const generation of [...this.retired, this.generation])
      rmSync(this.file(generation), { force: true });
  }

  private file(generation: number): string {
    return join(this.dir, fileName(generation));
  }

  private static generations(dir: string): number[] {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .map((name) => NAME.exec(name)?.[1])
      .filter((match): match is string => match !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }
}

function fileName(generation: number): string {
  return `${String(generation).padStart(10, '0')}.log`;
}
