import type { OperationDeclaration, ParamDeclaration } from "@pims/protocol";

/** A value the declaration accepts. */
export function validValue(param: ParamDeclaration): unknown {
  const format = param.format;
  switch (format.kind) {
    case "digits":
      return "1234567890".slice(0, Math.max(format.minLength, 6));
    case "phone":
      return "0612345678";
    case "login":
      return "alice@example.com";
    case "password":
      return "p".repeat(Math.max(format.minLength, 10));
    case "enum":
      return format.values[0];
    case "token":
      return "header.payload.signature";
    case "text":
      return "context";
    case "transaction":
      return { type: "vehicle.unlock", vin: "VF3LCYHZPHS123456" };
  }
}

/** A present value the declaration refuses. */
export function invalidValue(param: ParamDeclaration): unknown {
  const format = param.format;
  switch (format.kind) {
    case "digits":
      return "12ab";
    case "phone":
      return "call me";
    case "login":
      return "a";
    case "password":
      return 42;
    case "enum":
      return "no-such-value";
    case "token":
      return "not a token";
    case "text":
      return "x".repeat(format.maxLength + 1);
    case "transaction":
      // A float amount: amounts are integers in minor units or decimal strings (decision 0025).
      return { type: "payment", amount: 19.99 };
  }
}

/** The selector of an operation as parameters. */
export function selectorParams(operation: OperationDeclaration): Record<string, string> {
  return Object.fromEntries(operation.selector.map((s) => [s.key, s.value]));
}

/** Selector plus a valid value for every declared parameter. */
export function validParams(operation: OperationDeclaration): Record<string, unknown> {
  return {
    ...selectorParams(operation),
    ...Object.fromEntries(operation.params.map((p) => [p.name, validValue(p)])),
  };
}
