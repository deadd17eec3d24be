import { callerEvent } from "../audit/callerEvent.js";
import { deviceOf, type Handlers } from "../core/OperationCall.js";
import { PimsError } from "../core/PimsError.js";
import { checkCallerPin } from "../pin/checkCallerPin.js";
import { checkNewPin } from "../pin/checkNewPin.js";
import { requireRecentLogin } from "../pin/requireRecentLogin.js";
import type { Services } from "../Services.js";

/** S7 (validate an enrollment code for this device), S10, S11 (enroll), S12 (remove all). */
export function enrollmentHandlers(
  services: Pick<
    Services,
    | "accounts"
    | "devices"
    | "trustedPhones"
    | "phoneNumbers"
    | "smsCodes"
    | "pinVerifiers"
    | "pinGuard"
    | "otps"
    | "audit"
    | "clock"
    | "config"
    | "transaction"
  >,
): Handlers<
  "smscode.enrollment.validate" | "enrollment.enroll" | "enrollment.enrollWithPhoneNumber" | "enrollment.remove"
> {
  const {
    accounts,
    devices,
    trustedPhones,
    smsCodes,
    pinVerifiers,
    pinGuard,
    otps,
    audit,
    clock,
    config,
    transaction,
  } = services;
  const codeLifetime = () => clock.now() + config.sms.codeTtlSeconds * 1000;

  return {
    "smscode.enrollment.validate": async (call) => {
      const { accountId } = call.principal;
      const device = deviceOf(call);
      const trusted = await trustedPhones.of(accountId);
      if (trusted === undefined) throw new PimsError(2307);
      await smsCodes.consume({
        accountId,
        purpose: "enrollment",
        phone: trusted,
        code: call.params.smsCode,
        clientAddress: call.clientAddress,
      });
      await devices.validate(accountId, device.deviceId, device.publicKey, codeLifetime());
      await audit.append(callerEvent(call, "device.validate"));
      return { status: (await pinVerifiers.has(accountId)) ? "AlreadyEnrolled" : "NotEnrolled" };
    },

    "enrollment.enroll": async (call) => {
      const { accountId } = call.principal;
      const device = deviceOf(call);
      const pin = call.params.pinCode;
      if (await pinGuard.isBlocked(accountId)) throw new PimsError(2317);
      if (!devices.isValidated(device.record)) {
        const trusted = await trustedPhones.of(accountId);
        if (call.params.smsCode === undefined || trusted === undefined) throw new PimsError(2305);
        await smsCodes.consume({
          accountId,
          purpose: "enrollment",
          phone: trusted,
          code: call.params.smsCode,
          clientAddress: call.clientAddress,
        });
        // The code is spent; the device stays validated for its lifetime, so a mistyped PIN can be retried.
        await devices.validate(accountId, device.deviceId, device.publicKey, codeLifetime());
      }
      const hasPin = await pinVerifiers.has(accountId);
      if (hasPin) await checkCallerPin(pinGuard, call, pin);
      else checkNewPin(pin, config.pin, "pinCode");
      await transaction(async (trx) => {
        if (!hasPin) await pinVerifiers.create(accountId, pin, trx);
        await devices.activate(accountId, device.deviceId, device.publicKey, trx);
        await audit.append(callerEvent(call, "device.enroll"), trx);
        if (!hasPin) await audit.append(callerEvent(call, "pin.set"), trx);
      });
      return null;
    },

    "enrollment.enrollWithPhoneNumber": async (call) => {
      const { accountId } = call.principal;
      const device = deviceOf(call);
      const phone = services.phoneNumbers.parse(call.params.phoneNumber);
      const pin = call.params.pinCode;
      checkNewPin(pin, config.pin, "pinCode");
      if ((await trustedPhones.of(accountId)) !== undefined || (await pinVerifiers.has(accountId))) {
        throw new PimsError(2317);
      }
      await smsCodes.consume({
        accountId,
        purpose: "certification",
        phone: phone.e164,
        code: call.params.smsCode,
        clientAddress: call.clientAddress,
      });
      await transaction(async (trx) => {
        await trustedPhones.add(accountId, phone.e164, trx);
        await pinVerifiers.create(accountId, pin, trx);
        await pinGuard.reset(accountId, trx);
        await devices.activate(accountId, device.deviceId, device.publicKey, trx);
        await audit.append(
          callerEvent(call, "phone.trust", phone.country ? { country: phone.country } : undefined),
          trx,
        );
        await audit.append(callerEvent(call, "pin.set"), trx);
        await audit.append(callerEvent(call, "device.enroll"), trx);
      });
      return null;
    },

    "enrollment.remove": async (call) => {
      const { accountId } = call.principal;
      const record = call.device?.record;
      // From an enrolled device, or from one that proved the SMS (S7) — never with a token alone.
      const proven = record !== undefined && (record.status === "active" || devices.isValidated(record));
      if (!proven) {
        await audit.append({ ...callerEvent(call, "device.removeAll"), outcome: "refused" });
        throw new PimsError(2305);
      }
      requireRecentLogin(services, call);
      const wasBlocked = await pinGuard.isBlocked(accountId);
      await transaction(async (trx) => {
        // The account's row first, as S15 takes it (its PIN attempt) before its device's: the
        // devices' rows first would deadlock with an S15 in flight, and S12 could lose (red team 8).
        await accounts.lockRow(accountId, trx);
        const removed = await devices.removeAll(accountId, trx);
        // A PIN removed with every device is recovered by whatever enrollment comes next.
        if (await pinVerifiers.has(accountId, trx)) await pinVerifiers.recordRecovery(accountId, trx);
        await pinVerifiers.remove(accountId, trx);
        await pinGuard.reset(accountId, trx);
        // The devices and the PIN are gone: so is every OTP they vouched for.
        const revokedOtps = await otps.revoke({ accountId }, "device.removeAll", trx);
        await audit.append(callerEvent(call, "device.removeAll", { removedDevices: removed, revokedOtps }), trx);
        if (wasBlocked) {
          await audit.append(
            {
              event: "account.unblock",
              outcome: "success",
              accountId,
              clientAddress: call.clientAddress,
              detail: { by: "enrollment.remove" },
            },
            trx,
          );
        }
      });
      return null;
    },
  };
}
