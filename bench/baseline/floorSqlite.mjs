// The floor of a verification on SQLite: a bare Fastify route (as bareFastify.mjs) doing only the
// durable work of a Pims verification, on Pims' own schema, with compiled statements and nothing
// else: the limit's hit, the account's read, the OTP's consume (by its HMAC), the audit row, one
// commit, the JSON answer. No tenants, no hooks, no log, no metrics; and a simpler consume than
// Pims' (none of its device, wrong-guess and context conditions). It does less than a
// verification, so Pims' can only come near it (lib/floor.mjs measures it beside Pims' in `npm run bench`).
//
//   FLOOR_DB=<file made by lib/floor.mjs> FLOOR_MODE=each|group PORT=0 node bench/baseline/floorSqlite.mjs
//
// FLOOR_MODE=each: one transaction and one commit per request (as Pims does today). group: the
// requests that arrived in one turn of the event loop share a transaction, each in its own
// savepoint, and are answered after its commit (an answer still means a durable row).
import { createHmac, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import Fastify from "fastify";

const Database = createRequire(new URL("../../packages/server/package.json", import.meta.url))("better-sqlite3");
const db = new Database(process.env.FLOOR_DB);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
db.pragma("busy_timeout = 5000");
const KEY = Buffer.from(process.env.FLOOR_KEY ?? "", "base64url");
const TENANT = "default";

const hit = db.prepare(
  `insert into rate_limits (key, count, window_started_at, expires_at, tenant_id) values (?, 1, ?, ?, ?)
   on conflict (tenant_id, key) do update set count = case when rate_limits.window_started_at <= ? then 1 else rate_limits.count + 1 end,
   window_started_at = case when rate_limits.window_started_at <= ? then excluded.window_started_at else rate_limits.window_started_at end,
   expires_at = case when rate_limits.window_started_at <= ? then excluded.expires_at else rate_limits.expires_at end
   returning count`,
);
const account = db.prepare(`select id, login from accounts where id = ? and tenant_id = ?`);
const consume = db.prepare(
  `update otps set consumed_at = ?, consumed_by = ? where account_id = ? and otp_mac = ? and consumed_at is null
   and expires_at > ? and tenant_id = ? returning device_id, factors, issued_at, methods`,
);
const audit = db.prepare(
  `insert into audit_events (id, at, event, outcome, account_id, device_id, client_address, detail, tenant_id)
   values (?, ?, 'otp.verify', 'success', ?, ?, ?, ?, ?)`,
);
const begin = db.prepare("begin immediate");
const commit = db.prepare("commit");
const rollback = db.prepare("rollback");

/** One verification's statements; the answer, or undefined when nothing was consumed. */
function verify(body) {
  const now = Date.now();
  const window = now - (now % 60_000);
  if (
    hit.get("rp:floor", window, window + 120_000, TENANT, window - 60_000, window - 60_000, window - 60_000).count > 1e9
  )
    return undefined;
  const principal = account.get(body.account, TENANT);
  if (!principal) return undefined;
  const mac = createHmac("sha256", KEY).update(body.otp).digest("base64url");
  const row = consume.get(now, "rp-floor", principal.id, mac, now, TENANT);
  if (!row) return undefined;
  const detail = JSON.stringify({ relyingParty: "rp-floor", factors: row.factors });
  audit.run(
    `${now.toString(36)}${randomBytes(10).toString("base64url")}`,
    now,
    principal.id,
    row.device_id,
    "127.0.0.1",
    detail,
    TENANT,
  );
  return {
    status: "SUCCEEDED",
    result: {
      valid: true,
      account: { id: principal.id, username: principal.login },
      device: row.device_id,
      factors: row.factors.split("+"),
      issuedAt: Number(row.issued_at),
    },
  };
}

const app = Fastify({ logger: false });
if (process.env.FLOOR_MODE === "group") {
  let queue = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    const answers = [];
    begin.run();
    try {
      for (const item of batch) {
        db.exec("savepoint one");
        try {
          answers.push(verify(item.body));
          db.exec("release one");
        } catch (error) {
          db.exec("rollback to one; release one");
          answers.push(error);
        }
      }
      commit.run();
    } catch (error) {
      if (db.inTransaction) rollback.run();
      for (const item of batch) item.reject(error);
      return;
    }
    for (const [i, item] of batch.entries()) {
      if (answers[i] instanceof Error) item.reject(answers[i]);
      else item.resolve(answers[i]);
    }
  };
  app.post("/verify", (request) => {
    if (queue.length === 0) setImmediate(flush);
    return new Promise((resolve, reject) => queue.push({ body: request.body, resolve, reject }));
  });
} else {
  app.post("/verify", async (request) => {
    begin.run();
    try {
      const answer = verify(request.body);
      commit.run();
      return answer;
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
  });
}
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
const { port } = app.server.address();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, msg: "floor is listening" })}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
