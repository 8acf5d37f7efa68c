import {
  closeSync,
  constants,
  existsSync,
  type FSWatcher,
  fstatSync,
  openSync,
  watch,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';

/**
 * "A command may be claimable now" as a signal between processes, so a consumer wakes on enqueue
 * instead of polling (order latency matters, issue 3).
 *
 * - Same process: listeners registered per database file are called synchronously.
 * - Other processes: the producer rewrites one byte of `<db file>-notify` after its commit; every
 *   consumer watches that file (inotify through fs.watch), which reaches an idle event loop in well
 *   under a millisecond. The file's content means nothing; only the write event matters.
 * A consumer re-checks the table after every wake-up, so spurious or coalesced events are harmless;
 * the store's slow safety poll covers a lost event.
 */
const local = new Map<string, Set<() => void>>();
const BYTE = Buffer.from('1');
// Not O_APPEND: Linux pwrite on an append-mode file ignores the offset and the file would grow.
const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT;

export class WorkSignal {
  readonly #key: string | null;
  readonly #file: string | null;
  #fd: number | null = null;
  #watcher: FSWatcher | null = null;
  readonly #listeners = new Set<() => void>();
  readonly #fire = () => {
    for (const l of [...this.#listeners]) l();
  };

  /** `dbFile` null (an in-memory database): only this instance's own subscribers can be woken. */
  constructor(dbFile: string | null) {
    this.#key = dbFile === null ? null : resolve(dbFile);
    this.#file = this.#key === null ? null : `${this.#key}-notify`;
  }

  /** Tells every consumer, in this process and in others, to look at the table. Call after commit. */
  notify(): void {
    if (this.#key === null) this.#fire();
    else for (const l of [...(local.get(this.#key) ?? [])]) l();
    if (this.#file !== null) {
      // A deleted notify file (nlink 0) is invisible to watchers of its replacement: reopen it.
      if (this.#fd !== null && fstatSync(this.#fd).nlink === 0) this.#drop();
      this.#fd ??= openSync(this.#file, OPEN_FLAGS);
      // One pwrite at offset 0: a single cheap syscall that inotify reports as a modification.
      writeSync(this.#fd, BYTE, 0, 1, 0);
    }
  }

  /** Calls `fn` on every notification until the returned function is called. */
  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      this.#listeners.delete(fn);
      if (this.#listeners.size === 0) this.#idle();
    };
  }

  close(): void {
    this.#listeners.clear();
    this.#idle();
    this.#drop();
  }

  #start(): void {
    if (this.#key === null) return;
    let set = local.get(this.#key);
    if (!set) {
      set = new Set();
      local.set(this.#key, set);
    }
    set.add(this.#fire);
    if (this.#file === null) return;
    if (this.#watcher === null) {
      this.#fd ??= openSync(this.#file, OPEN_FLAGS);
      const file = this.#file;
      this.#watcher = watch(file, { persistent: true }, (type) => {
        // Deleted or replaced: later writes go to a new file, so watch that one from now on. (An
        // unlink while fds are open arrives as 'change', hence the existence check.)
        if (type === 'rename' || !existsSync(file)) this.#rewatch();
        this.#fire();
      });
      // A broken watch must not crash the process on an unhandled 'error'; the safety poll covers
      // the gap until the next subscription watches again.
      this.#watcher.on('error', () => this.#drop());
    } else {
      // A waiting consumer keeps its process alive, as a pending socket read would.
      this.#watcher.ref();
    }
  }

  #drop(): void {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #rewatch(): void {
    this.#drop();
    if (this.#listeners.size > 0) this.#start();
  }

  #idle(): void {
    if (this.#key !== null) {
      const set = local.get(this.#key);
      set?.delete(this.#fire);
      if (set?.size === 0) local.delete(this.#key);
    }
    this.#watcher?.unref();
  }
}
