import type { Migration } from "kysely";
import * as accounts from "./0001_accounts.js";
import * as phonesAndSms from "./0002_phones_and_sms.js";
import * as devicesAndPins from "./0003_devices_and_pins.js";
import * as otps from "./0004_otps_and_relying_parties.js";
import * as sessionFamilies from "./0005_session_families_and_pin_proofs.js";
import * as limitsWithoutLevers from "./0006_limits_without_levers.js";
import * as sessionsRefreshExpiry from "./0007_sessions_refresh_expiry.js";
import * as transactions from "./0008_transactions.js";
import * as assertionKeys from "./0009_assertion_keys.js";
import * as authenticationMethods from "./0010_authentication_methods.js";
import * as tenants from "./0011_tenants.js";

/**
 * Every migration, in order. The same list runs on SQLite and PostgreSQL; a migration is never
 * edited once released, only followed by another.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001_accounts": accounts,
  "0002_phones_and_sms": phonesAndSms,
  "0003_devices_and_pins": devicesAndPins,
  "0004_otps_and_relying_parties": otps,
  "0005_session_families_and_pin_proofs": sessionFamilies,
  "0006_limits_without_levers": limitsWithoutLevers,
  "0007_sessions_refresh_expiry": sessionsRefreshExpiry,
  "0008_transactions": transactions,
  "0009_assertion_keys": assertionKeys,
  "0010_authentication_methods": authenticationMethods,
  "0011_tenants": tenants,
};
