import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Starts a server process and resolves once it printed its URL (a JSON line with `url`). */
export function startProcess(command, args, env, marker) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      const match = new RegExp(`"url":"(http://[^"]+)"[^\\n]*${marker}`).exec(output);
      if (match) {
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        child.stderr.resume();
        resolve({
          url: match[1],
          pid: child.pid,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", done);
              child.kill("SIGTERM");
            }),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`)));
  });
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU time a process used so far, in seconds (user + system; Linux). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Samples a process while `work` runs; resolves `{ result, peakRssMb, cpuPercent }` — CPU as a
 * share of one core over the scenario (below 100: the server was not what limited the figure).
 */
export async function withPeakRss(pid, work) {
  let peak = rssMb(pid);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 100);
  try {
    const result = await work();
    const cpu = cpuSeconds(pid) - cpuBefore;
    const cpuPercent = (100 * cpu) / ((performance.now() - started) / 1000);
    // Server CPU time per request: far steadier than req/s on a shared machine.
    const cpuMicrosPerRequest = result.requests ? (cpu * 1e6) / result.requests : Number.NaN;
    return { result, peakRssMb: Math.max(peak, rssMb(pid)), cpuPercent, cpuMicrosPerRequest };
  } finally {
    clearInterval(timer);
  }
}
