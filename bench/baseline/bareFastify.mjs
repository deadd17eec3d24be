// The benchmark's reference: a bare Fastify route in its own process (Fastify's defaults, no
// logger, no hooks), answering the same JSON a Pims success carries. What the machine and the
// framework can do at best; the gap to Pims' own no-op route is Pims' per-request overhead.
//
//   PORT=0 node bench/baseline/bareFastify.mjs   → prints {"url":"http://127.0.0.1:<port>","msg":"bare is listening"}
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.post("/bare", async () => ({ status: "SUCCEEDED", result: null }));
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
const { port } = app.server.address();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, msg: "bare is listening" })}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
