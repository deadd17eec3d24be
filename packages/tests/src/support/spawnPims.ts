import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface Spawned {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves the URL from the "pims is listening" line. */
  readonly listening: Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a command from the repository root (the built packages), capturing its output. */
export function spawnInRepository(command: string, args: string[], env: Record<string, string>): Spawned {
  // Its own process group, so stopping it stops npm's children too.
  const child = spawn(command, args, {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, ...env },
    stdio: "pipe",
    detached: true,
  });
  let output = "";
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"[^\n]*pims is listening/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening:\n${output}`)));
  });
  listening.catch(() => undefined);
  return {
    child,
    output: () => output,
    listening,
    stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        process.kill(-(child.pid as number), signal);
      });
    },
  };
}

/** Runs a command to its end. */
export function runInRepository(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPOSITORY_ROOT, env: { ...process.env, ...env }, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
