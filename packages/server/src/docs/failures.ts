import { ERROR_CATALOGUE, isKnownErrorCode } from "@pims/protocol";

/**
 * The FAILED answers of an operation, one response per HTTP status, each listing its codes (those
 * that cross the wire: `side: "sdk"` codes never do). `body`: a JSON body is parsed, so a body
 * over 16 KiB (413) or not JSON (415) answers 2102 too.
 */
export function failures(codes: readonly number[], options: { body?: boolean } = {}): Record<string, unknown> {
  const byStatus = new Map<number, number[]>();
  const add = (status: number, code: number) => byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  for (const code of codes) {
    if (!isKnownErrorCode(code) || ERROR_CATALOGUE[code].side === "sdk") continue;
    add(ERROR_CATALOGUE[code].httpStatus, code);
  }
  if (options.body) {
    add(413, 2102);
    add(415, 2102);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, list]) => [
        String(status),
        failure(
          status,
          [...new Set(list)].sort((a, b) => a - b),
        ),
      ]),
  );
}

function failure(status: number, codes: readonly number[]) {
  const rows = codes
    .map((c) => `- ${c} ${isKnownErrorCode(c) ? ERROR_CATALOGUE[c].label : ""}${bodyNote(status, c)}`)
    .join("\n");
  return {
    description: `FAILED:\n${rows}`,
    headers: {
      "Pims-Error-Code": { description: "The code of the answer, as in the body.", schema: { type: "integer" } },
    },
    content: {
      "application/json": {
        schema: {
          allOf: [
            { $ref: "#/components/schemas/Failure" },
            { type: "object", properties: { error: { type: "object", properties: { code: { enum: codes } } } } },
          ],
        },
      },
    },
  };
}

function bodyNote(status: number, code: number): string {
  if (code !== 2102) return "";
  if (status === 413) return " (`body`: over 16 KiB)";
  if (status === 415) return " (`body`: not `application/json`)";
  return "";
}
