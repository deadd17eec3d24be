// Writes docs/operations/ from the operation declarations and docs/audit-events.md from the audit
// event catalogue (run by `npm run docs`; a test checks the files are up to date).
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { auditEventsPage, operationPages } from "../packages/server/dist/index.js";

const folder = fileURLToPath(new URL("../docs/operations/", import.meta.url));
await mkdir(folder, { recursive: true });
const pages = operationPages();
for (const name of await readdir(folder)) if (!pages.has(name)) await rm(new URL(name, `file://${folder}`));
for (const [name, content] of pages) await writeFile(`${folder}${name}`, content);
process.stdout.write(`wrote ${pages.size} pages to docs/operations/\n`);
await writeFile(fileURLToPath(new URL("../docs/audit-events.md", import.meta.url)), auditEventsPage());
process.stdout.write("wrote docs/audit-events.md\n");
