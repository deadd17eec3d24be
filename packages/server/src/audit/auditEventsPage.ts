import { AUDIT_EVENTS, type AuditDetailField, type AuditEventDeclaration } from "./events.js";

/**
 * docs/audit-events.md: every event of the audit catalogue (audit/events.ts) — its outcomes, its
 * detail fields, the metric that counts it — generated so it cannot drift from what is appended.
 *
 * @example
 * await writeFile("docs/audit-events.md", auditEventsPage());
 */
export function auditEventsPage(): string {
  const catalogue: Readonly<Record<string, AuditEventDeclaration>> = AUDIT_EVENTS;
  const lines = [
    "<!-- Generated from packages/server/src/audit/events.ts by `npm run docs`; do not edit by hand. -->",
    "",
    "# Audit events",
    "",
    "Every security event is a row of `audit_events` (`pims admin audit acc_…` lists an account's):",
    "the time, the event, its outcome, the account, the device, the client address, and a JSON",
    "`detail` with only the fields below — never a PIN, a code, an OTP, a key or a phone number.",
    "",
    "| event | outcomes | counted in | description |",
    "|---|---|---|---|",
  ];
  for (const [name, event] of Object.entries(catalogue)) {
    const outcomes = event.outcomes.map((o) => `\`${o}\``).join(", ");
    lines.push(`| [\`${name}\`](#${anchor(name)}) | ${outcomes} | ${counted(event)} | ${event.description} |`);
  }
  lines.push("");
  for (const [name, event] of Object.entries(catalogue)) {
    lines.push(`## \`${name}\``, "", event.description, "");
    const fields = Object.entries(event.detail);
    if (fields.length === 0) lines.push("No detail.", "");
    else {
      lines.push("| detail field | type | description |", "|---|---|---|");
      for (const [field, spec] of fields) lines.push(`| \`${field}\` | ${typeOf(spec)} | ${spec.description} |`);
      lines.push("");
    }
  }
  return lines.join("\n");
}

function counted(event: AuditEventDeclaration): string {
  if (!event.counted) return "—";
  const { metric, outcomes, reasons = {} } = event.counted;
  const series = Object.entries(outcomes).map(([outcome, label]) => `${outcome}: \`{event="${label}"}\``);
  for (const [code, label] of Object.entries(reasons)) series.push(`reason ${code}: \`{event="${label}"}\``);
  return `\`pims_${metric}_total\` (${series.join(", ")})`;
}

function typeOf(spec: AuditDetailField): string {
  return spec.values ? spec.values.map((v) => `\`${v}\``).join(" \\| ") : spec.type;
}

/** GitHub's heading anchor of `` `name` ``: lower case, dots dropped. */
function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9 _-]/g, "");
}
