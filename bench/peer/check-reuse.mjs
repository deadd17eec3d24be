// Does Better Auth accept the SAME TOTP code again on a NEW sign-in challenge?
//   node bench/peer/check-reuse.mjs            (starts its own peer on a temp DB)
//   node bench/peer/check-reuse.mjs <peer-url> (uses a running peer)
// Exit code 0 in both cases; the finding is printed (last line is JSON).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { totp } from "./totp.mjs";

let peer = null;
let tmp = null;
let base = process.argv[2];
if (!base) {
  tmp = mkdtempSync(join(tmpdir(), "peer-reuse-"));
  peer = spawn(process.execPath, [new URL("./server.mjs", import.meta.url).pathname], {
    env: { ...process.env, PORT: "0", PEER_DB: join(tmp, "peer.sqlite") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  base = JSON.parse(await new Promise((r) => createInterface({ input: peer.stdout }).once("line", r))).url;
}

try {
  const fx = await (await fetch(`${base}/bench/fixtures?n=4`)).json();
  const [a, b, c, d] = fx.cookies;
  const verify = async (label, cookie, code) => {
    const res = await fetch(fx.verify.url, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base, cookie },
      body: JSON.stringify({ code }),
    });
    const body = await res.json();
    const line = {
      label,
      challenge: cookie.slice(cookie.indexOf("=") + 1, cookie.indexOf("=") + 15) + "...",
      code,
      status: res.status,
      session: body.token ?? null,
      error: body.code ?? null,
    };
    console.log(JSON.stringify(line));
    return line;
  };
  // Stay inside one 30 s step so "the same code" is unambiguous.
  const left = 30_000 - (Date.now() % 30_000);
  if (left < 8_000) await sleep(left + 200);
  const t = Date.now();
  const code = totp(fx.secret, t);
  console.log(
    `# code ${code} for TOTP step ${Math.floor(t / 30_000)}, ${((30_000 - (t % 30_000)) / 1000).toFixed(1)} s left in the step`,
  );
  const first = await verify("1st use, challenge A", a, code);
  const second = await verify("same code, NEW challenge B", b, code);
  const third = await verify("same code, NEW challenge C", c, code);
  const wrong = String((Number(code) + 1) % 1e6).padStart(6, "0");
  const control = await verify("control: wrong code, challenge D", d, wrong);
  const replayAccepted = first.status === 200 && second.status === 200 && third.status === 200;
  console.log(
    JSON.stringify({
      finding: replayAccepted
        ? "REUSE ACCEPTED: the same TOTP code completed 3 different sign-in challenges"
        : "reuse refused",
      statuses: [first.status, second.status, third.status],
      distinctSessions: new Set([first.session, second.session, third.session].filter(Boolean)).size,
      controlWrongCodeStatus: control.status,
    }),
  );
} finally {
  if (peer && peer.exitCode === null) {
    const exited = new Promise((r) => peer.once("exit", r));
    peer.kill("SIGTERM");
    await exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
