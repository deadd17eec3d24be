import { type ParamFormat, TRANSACTION_MAX_BYTES } from "@pims/protocol";

/** A parameter format in words, for the documentation. */
export function describeFormat(format: ParamFormat): string {
  switch (format.kind) {
    case "digits":
      return `digits, ${format.minLength}–${format.maxLength} (string or non-negative integer)`;
    case "phone":
      return "phone number, national (0612345678) or E.164 (+33612345678)";
    case "login":
      return "text, 3–254 characters, no control characters";
    case "password":
      return `text, ${format.minLength}–${format.maxLength} characters`;
    case "enum":
      return `one of ${format.values.map((v) => `\`${v}\``).join(", ")}`;
    case "token":
      return `token, at most ${format.maxLength} characters`;
    case "text":
      return `text, at most ${format.maxLength} characters`;
    case "transaction":
      return `JSON object with a string \`type\`; members strings, integers or objects; no floats; at most ${TRANSACTION_MAX_BYTES} bytes canonical (RFC 8785)`;
  }
}

/** The JSON Schema of a parameter format, for OpenAPI. */
export function formatSchema(format: ParamFormat): Record<string, unknown> {
  switch (format.kind) {
    case "digits":
      return {
        oneOf: [
          { type: "string", pattern: `^[0-9]{${format.minLength},${format.maxLength}}$` },
          { type: "integer", minimum: 0 },
        ],
      };
    case "phone":
      return {
        oneOf: [
          { type: "string", pattern: "^\\+?[0-9][0-9 ().-]{2,30}$" },
          { type: "integer", minimum: 0 },
        ],
      };
    case "login":
      return { type: "string", minLength: 3, maxLength: 254 };
    case "password":
      return { type: "string", minLength: format.minLength, maxLength: format.maxLength };
    case "enum":
      return { type: "string", enum: [...format.values] };
    case "token":
      return { type: "string", maxLength: format.maxLength };
    case "text":
      return { type: "string", maxLength: format.maxLength };
    case "transaction":
      return { type: "object", required: ["type"], properties: { type: { type: "string" } } };
  }
}
