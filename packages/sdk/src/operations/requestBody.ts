import type { OperationDeclaration } from "@pims/protocol";

/**
 * The JSON body of an operation's request from its validated parameters: a transaction travels as
 * the object its canonical text describes (decision 0025), every other parameter as its string.
 *
 * @example
 * requestBody(otpWithoutPin, { transaction: '{"type":"vehicle.unlock","vin":"VF3…"}' })
 * // '{"transaction":{"type":"vehicle.unlock","vin":"VF3…"}}'
 */
export function requestBody(operation: OperationDeclaration, params: Readonly<Record<string, string>>): string {
  const objects = new Set(operation.params.filter((p) => p.format.kind === "transaction").map((p) => p.name));
  const body = Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, objects.has(name) ? JSON.parse(value) : value]),
  );
  return JSON.stringify(body);
}
