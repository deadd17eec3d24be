import {
  describeError,
  documentedErrors,
  ERROR_CATALOGUE,
  isKnownErrorCode,
  type OperationDeclaration,
  type PimsErrorCode,
} from "@pims/protocol";
import { DOCUMENTED_OPERATIONS, type DocumentedOperation } from "@pims/protocol/docs";
import { describeFormat } from "./describeFormat.js";

const GENERATED = "<!-- Generated from packages/protocol by `npm run docs`; do not edit by hand. -->";

const DEVICE: Record<OperationDeclaration["device"], string> = {
  none: "not signed",
  any: "signed by this device's key (enrolled or enrolling)",
  enrolled: "signed by an enrolled device (2313 otherwise)",
};

/** The file name of an operation's page. */
export function pageName(operation: OperationDeclaration): string {
  return `${operation.id}-${operation.name}.md`;
}

/**
 * One Markdown page per declared operation, and an index: the documentation of the contract,
 * generated from the declarations so it cannot drift from them.
 */
export function operationPages(): Map<string, string> {
  const pages = new Map<string, string>();
  for (const operation of DOCUMENTED_OPERATIONS) pages.set(pageName(operation), page(operation));
  pages.set("README.md", index());
  pages.set("errors.md", errors());
  return pages;
}

function page(op: DocumentedOperation): string {
  const selector = op.selector.map((s) => `${s.key}: "${s.value}"`);
  const example = [...selector, ...op.params.filter((p) => p.required).map((p) => `${p.name}: "${p.example ?? "…"}"`)];
  const lines = [
    GENERATED,
    "",
    `# ${op.id} — \`${op.name}\``,
    "",
    op.summary,
    "",
    "```js",
    `const message = await pims.${op.verb}("${op.api}", { ${example.join(", ")} });`,
    "```",
    "",
    "| | |",
    "|---|---|",
    `| component | ${op.component} |`,
    `| call | \`${op.verb}\` \`${op.api}\` |`,
    `| selector | ${op.selector.length === 0 ? "—" : op.selector.map(selectorText).join(", ")} |`,
    `| session | ${op.access === "session" ? "required (2301 otherwise)" : "not required"} |`,
    `| device | ${DEVICE[op.device]} |`,
    `| HTTP | ${op.path === null ? "answered by the SDK" : `\`POST ${op.path}\``} |`,
    "",
    "## Parameters",
    "",
  ];
  if (op.params.length === 0) lines.push("None besides the selector.", "");
  else {
    lines.push("| name | required | format | secret | description |", "|---|---|---|---|---|");
    for (const p of op.params) {
      lines.push(
        `| \`${p.name}\` | ${p.required ? "yes" : "no"} | ${describeFormat(p.format)} | ${p.secret ? "yes" : "no"} | ${p.description} |`,
      );
    }
    lines.push("");
  }
  lines.push("## Result", "");
  if (op.result === null) lines.push("`null` (no output data).", "");
  else {
    lines.push("| field | type | description |", "|---|---|---|");
    for (const [name, field] of Object.entries(op.result)) {
      const type =
        field.type === "enum"
          ? field.values.map((v) => `\`${v}\``).join(" \\| ")
          : field.type === "transaction"
            ? "object, optional"
            : field.type;
      lines.push(`| \`${name}\` | ${type} | ${field.description} |`);
    }
    lines.push("");
  }
  lines.push(
    "## Errors",
    "",
    "The label is the vendor's, as it travels; the meaning is Pims' plain description ([all codes](errors.md)).",
    "",
    "| code | label | meaning | source |",
    "|---|---|---|---|",
  );
  for (const code of documentedErrors(op)) {
    const label = isKnownErrorCode(code) ? ERROR_CATALOGUE[code].label : "";
    lines.push(`| ${code} | ${label} | ${describeError(code)} | ${source(op, code)} |`);
  }
  lines.push("");
  return lines.join("\n");
}

function selectorText(s: OperationDeclaration["selector"][number]): string {
  const keys = [s.key, ...(s.keyAliases ?? [])].map((k) => `\`${k}\``).join(" or ");
  const values = [s.value, ...(s.valueAliases ?? [])].map((v) => `\`"${v}"\``).join(" or ");
  return `${keys} = ${values}`;
}

function source(op: OperationDeclaration, code: PimsErrorCode): string {
  if (op.errors.includes(code)) return "vendor";
  const reason = op.extraErrors[code];
  if (reason !== undefined) return `Pims: ${reason}`;
  if (code === 2000 || code === 2001) return "every operation";
  if (code === 2301) return "every operation that needs a session";
  return "transport (every operation that reaches the server)";
}

function index(): string {
  const lines = [
    GENERATED,
    "",
    "# Operations",
    "",
    "Every operation of the contract, from its declaration in `packages/protocol`. Error codes: [errors.md](errors.md).",
    "",
    "| id | operation | call | summary |",
    "|---|---|---|---|",
  ];
  for (const op of DOCUMENTED_OPERATIONS) {
    const selector = op.selector.map((s) => `${s.key}:"${s.value}"`).join(", ");
    lines.push(
      `| ${op.id} | [\`${op.name}\`](${pageName(op)}) | \`${op.verb}\` \`${op.api}\` ${selector ? `{${selector}}` : ""} | ${op.summary} |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

/** Every catalogue code: the vendor's label as it travels, and the plain description beside it. */
function errors(): string {
  const lines = [
    GENERATED,
    "",
    "# Error codes",
    "",
    "Every code Pims answers, from the catalogue in `packages/protocol`. The **label** is the vendor's, byte",
    "for byte: it is what travels in `error.label` and what apps may match. The **meaning** is Pims' plain",
    "description for people (`describeError(code)` from `@pims/protocol`); it never travels.",
    "",
    "| code | label | meaning | category | HTTP | retry | from |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const [code, row] of Object.entries(ERROR_CATALOGUE)) {
    const from = row.side === "sdk" ? "SDK" : row.side === "server" ? "server" : "SDK or server";
    lines.push(
      `| ${code} | ${row.label} | ${describeError(Number(code))} | ${row.category} | ${row.httpStatus} | ${row.retryable ? "yes" : "no"} | ${from}${row.origin === "pims" ? " (Pims code)" : ""} |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}
