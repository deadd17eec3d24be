import { createRequire } from "node:module";
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type SQLite from "better-sqlite3";

/**
 * WAL pages the main connection lets accumulate before it checkpoints by itself (SQLite's
 * auto-checkpoint): the safety net if the worker falls behind or stalls, about 40 MB with 4 KiB
 * pages. It is also what starts the WAL again under writes without a pause: SQLite rewinds the
 * WAL only for a writer that begins with all of it copied, which the worker, copying beside the
 * writes, seldom sees. The worker has by then copied all but the last frames, so this checkpoint
 * on the main thread copies few pages, ten times less often than SQLite's default.
 */
export const SAFETY_NET_PAGES = 10_000;

/** SQLite's own auto-checkpoint threshold, which the main connection returns to if the worker dies. */
const SQLITE_DEFAULT_PAGES = 1000;

/** How often the worker checkpoints (ms): at ~2,000 verifications/s, a few hundred WAL pages each time. */
const INTERVAL_MS = 100;

/** How long close() waits for the worker to close its connection before terminating it (ms). */
const STOP_TIMEOUT_MS = 5_000;

export interface WalCheckpointer {
  /** Stops the worker and closes its connection; resolves once the thread has exited. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  readonly intervalMs?: number;
  /** Told when the worker fails; the main connection then checkpoints by itself, as SQLite does by default. */
  readonly onError?: (error: Error) => void;
}

/**
 * The worker's code, run as a script (`eval`): the same text from the TypeScript sources (tests)
 * and from dist, with nothing to resolve beside it but the driver, whose path the main thread
 * gives (the same copy and native binding it uses itself).
 *
 * A PASSIVE checkpoint waits for nobody: it copies the frames no reader still needs and returns
 * (busy when another connection, of this process or another, is checkpointing: SQLite coordinates
 * them). Once the WAL is all copied, the next writer starts it again from the beginning, so its
 * file stops growing (between bursts of writes; see SAFETY_NET_PAGES). The connection's `synchronous = NORMAL` makes the checkpoint fsync the WAL
 * before copying and the database after, as the main connection's own checkpoints did: the
 * durability of commits is SQLite's WAL + NORMAL, unchanged. Any error ends the thread, and the
 * main thread takes the checkpoints back.
 */
const WORKER_SCRIPT = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let timer;
const tick = () => {
  checkpoint.get();
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on("message", () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

/**
 * Moves the WAL checkpoints of a SQLite file database off the event loop: better-sqlite3 is
 * synchronous, and SQLite's auto-checkpoint runs inside whichever COMMIT crosses 1,000 WAL pages,
 * copying pages to the database file and fsyncing it while every request waits (issue 14: a
 * commit's average 119 → 73 µs without it, and the p99 spikes). A worker thread with its own
 * connection to the file checkpoints every `intervalMs`; the main connection keeps its
 * auto-checkpoint at `SAFETY_NET_PAGES`, so the WAL stays bounded if the worker falls behind.
 *
 * The thread is unref'd: a process that never calls stop() still exits. Several processes on one
 * file each run one; their checkpoints do not collide (see WORKER_SCRIPT).
 */
export function startWalCheckpointer(
  main: SQLite.Database,
  path: string,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  main.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const worker = new Worker(WORKER_SCRIPT, {
    eval: true,
    workerData: {
      path: resolve(path),
      intervalMs: options.intervalMs ?? INTERVAL_MS,
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
    },
    // None of the process's flags: a script run with --input-type=module would make this one a
    // module (no require), and a --cpu-prof or --import meant for the server is not for the thread.
    execArgv: [],
    // A loop of one statement: a small heap is plenty, and RSS counts (issue 14, peak RSS).
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  worker.unref();
  let stopping = false;
  let failed = false;
  const fail = (error: Error) => {
    if (stopping || failed) return;
    failed = true;
    // The main connection checkpoints again as SQLite does by default: a slower commit now and
    // then, never an unbounded WAL. The server goes on.
    try {
      if (main.open) main.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    } finally {
      options.onError?.(error);
    }
  };
  worker.on("error", fail);
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", (code) => {
      fail(new Error(`the WAL checkpoint worker exited (code ${code})`));
      resolve();
    }),
  );
  return {
    stop() {
      if (!stopping) {
        stopping = true;
        // Held again while it stops: a process with nothing else to do would otherwise exit
        // before the thread has closed its connection, and this promise never settle.
        worker.ref();
        worker.postMessage("stop");
        const timeout = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
        void exited.then(() => clearTimeout(timeout));
      }
      return exited;
    },
  };
}
