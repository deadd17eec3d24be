import { ERROR_CATALOGUE, OPERATIONS, type ServerOperationName } from "@pims/protocol";
import { describe, expect, it } from "vitest";
import type { HandlerMap, OperationCall, OperationHandler } from "./OperationCall.js";
import { PimsError } from "./PimsError.js";
import { readParams } from "./readParams.js";

/**
 * The compiler holds the server to the contract (decision 0023). Each `@ts-expect-error` below is
 * a line that must NOT compile: `tsc -p tsconfig.test.json` (part of `npm test`) fails if one of
 * them starts compiling, because the directive is then unused.
 */
describe("the contract, as types", () => {
  it("lets PimsError take only catalogue codes the server may answer", () => {
    const error = new PimsError(2308);
    expect(error.httpStatus).toBe(ERROR_CATALOGUE[2308].httpStatus);
    expect(error.body).toEqual({ code: 2308, label: ERROR_CATALOGUE[2308].label });
    // @ts-expect-error 2341 is not in the catalogue.
    expect(() => new PimsError(2341)).toThrow();
    // @ts-expect-error 2001 ("Facade not initialized") is produced by the SDK only.
    expect(new PimsError(2001).code).toBe(2001);
  });

  it("types each handler's parameters, principal and device from its declaration", async () => {
    const handler: OperationHandler<"otp.withPIN"> = async (call) => {
      const pin: string = call.params.pinCode; // required: a string, no cast
      const context: string | undefined = call.params.context; // optional
      // @ts-expect-error S15 declares no smsCode.
      const nothing = call.params.smsCode;
      // Session operation: the principal is there; enrolled device: so is the proof.
      return { pin, context, nothing, account: call.principal.accountId, device: call.device.deviceId };
    };
    const s8: OperationHandler<"smscode.addPhoneNumber"> = async (call) => {
      // @ts-expect-error S8 is not signed: no device proof in its call.
      return call.device.deviceId;
    };
    const b1: OperationHandler<"user.createAccount"> = async (call) => {
      // @ts-expect-error B1 is public: there is no principal.
      return call.principal.accountId;
    };
    const call = {
      operation: OPERATIONS.find((op) => op.name === "otp.withPIN"),
      params: { pinCode: "4821" },
      principal: { accountId: "acc_1", login: "a", sessionId: "s", authenticatedAt: 1 },
      device: { deviceId: "dev_1", publicKey: "k", record: undefined },
      clientAddress: "127.0.0.1",
      acceptLanguage: undefined,
    } as OperationCall<"otp.withPIN">;
    await expect(handler(call)).resolves.toMatchObject({ pin: "4821", account: "acc_1", device: "dev_1" });
    expect([s8, b1]).toHaveLength(2);
  });

  it("needs a handler for every operation the server answers", () => {
    const names: ServerOperationName[] = ["otp.withPIN"];
    // @ts-expect-error a HandlerMap with one handler: the 20 others are missing.
    const partial: HandlerMap = { "otp.withPIN": async () => null };
    // @ts-expect-error token.customerAt is answered by the SDK alone: not a server operation.
    names.push("token.customerAt");
    expect(Object.keys(partial)).toEqual(["otp.withPIN"]);
    expect(OPERATIONS.filter((op) => op.path !== null).length).toBeGreaterThan(15);
  });

  it("checks bodies outside the operations with the operations' validation", () => {
    const list = {
      params: [
        { name: "name", required: true, format: { kind: "text", maxLength: 5 }, secret: false, description: "" },
      ],
    } as const;
    expect(readParams(list, { name: "abc", other: 1 })).toEqual({ name: "abc" });
    for (const [input, code, parameter] of [
      [{}, 2101, "name"],
      [{ name: "" }, 2101, "name"],
      [{ name: "toolong" }, 2102, "name"],
      [[], 2102, "body"],
      [undefined, 2102, "body"],
    ] as const) {
      try {
        readParams(list, input);
        expect.unreachable(`${JSON.stringify(input)} was accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(PimsError);
        expect((error as PimsError).body).toMatchObject({ code, label: expect.stringContaining(parameter) });
      }
    }
  });
});
