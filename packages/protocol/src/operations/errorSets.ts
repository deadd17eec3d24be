/** Shorthands of spec §2: NET and IW. */
export const NET = [2201, 2202, 2204] as const;
export const IW = [2308, 2309, 2310, 2311, 2312, 2313, 2314, 2316, 2317] as const;

/** Every operation may fail with these (spec §2, last lines). */
export const ALWAYS = [2000, 2001] as const;
/**
 * Every operation may fail with 2102 "Invalid parameters parameter" when its parameters are not an
 * object (an array, a string). Undeclared keys of an object are ignored, for every operation —
 * those that take none included (decision 0002).
 */
export const MALFORMED = [2102] as const;
/** Every operation that needs a logged-in user may fail with 2301. */
export const NEEDS_SESSION = [2301] as const;
/**
 * Every operation that reaches the server may fail in transport (timeout, no connection,
 * unparseable answer, server error), on a protocol version the server no longer accepts, or on
 * an app's client id the server does not know or has disabled (2006, decision 0028).
 * The vendor lists these unevenly; Pims documents them for all (decision 0002).
 */
export const TRANSPORT = [2006, 2201, 2202, 2203, 2204, 2309] as const;

/** Pims additions shared by the three SMS requests (S4, S5, S6). */
export const SMS_SEND_EXTRAS = {
  2005: "a new code was asked for the same number within the resend cooldown",
  2383: "the SMS quota of the number, the account or the client address is spent, or a circuit breaker (the deployment's or the destination country's hourly budget) is open",
} as const;
