// A sample relying party: an API of the app that demands strong authentication before a transfer.
// Run (after `npm ci`): PIMS_URL=http://127.0.0.1:8080 PIMS_RP_KEY=prk_… node examples/relying-party/server.js
import { pimsPlugin } from "@pims/relying-party";
import Fastify from "fastify";

const pimsUrl = process.env.PIMS_URL ?? "http://127.0.0.1:8080";
const apiKey = process.env.PIMS_RP_KEY;
if (!apiKey) {
  process.stderr.write("PIMS_RP_KEY is required (create one with the Pims admin API)\n");
  process.exit(2);
}

const app = Fastify();
await app.register(pimsPlugin, { pimsUrl, apiKey });

app.get("/health", async () => ({ status: "ok" }));

// A transfer needs an OTP obtained with the PIN, for this very transfer: the context the app
// passed to S15 must be the one computed here from the request.
app.post(
  "/transfer",
  {
    preHandler: app.pimsStepUp({
      require: ["possession", "knowledge"],
      context: (request) => `transfer:${request.body?.to}:${request.body?.amount}`,
    }),
  },
  async (request) => ({
    status: "SUCCEEDED",
    result: { transferred: request.body.amount, to: request.body.to, by: request.pims.account.username },
  }),
);

// Reading the profile is fine with the device alone (S16).
app.get("/profile", { preHandler: app.pimsStepUp() }, async (request) => ({
  status: "SUCCEEDED",
  result: { username: request.pims.account.username, factors: request.pims.factors },
}));

const url = await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
process.stdout.write(`${JSON.stringify({ url, msg: "relying party is listening" })}\n`);
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => app.close().then(() => process.exit(0)));
