import type { SMS_PLACEHOLDERS, SmsTexts } from "../config/Config.js";

/** Why a code is sent; part of what the code is bound to. */
export type SmsPurpose = "enrollment" | "certification" | "resetPin";

export type SmsLanguage = "en" | "fr";

export const TEXTS: Readonly<Record<SmsLanguage, Readonly<Record<SmsPurpose, string>>>> = {
  en: {
    enrollment: "{code} is your {brand} code to enroll this device. It expires in {minutes} min. Never share it.",
    certification:
      "{code} is your {brand} code to confirm this phone number. It expires in {minutes} min. Never share it.",
    resetPin: "{code} is your {brand} code to reset your PIN. It expires in {minutes} min. Never share it.",
  },
  fr: {
    enrollment:
      "{code} est votre code {brand} pour enrôler cet appareil. Il expire dans {minutes} min. Ne le partagez jamais.",
    certification:
      "{code} est votre code {brand} pour confirmer ce numéro. Il expire dans {minutes} min. Ne le partagez jamais.",
    resetPin:
      "{code} est votre code {brand} pour réinitialiser votre PIN. Il expire dans {minutes} min. Ne le partagez jamais.",
  },
};

/** The brand and the texts of the deployment or of a tenant (`SmsSettings`). */
export interface Wording {
  readonly brand: string;
  readonly texts: SmsTexts;
}

const PIMS: Wording = { brand: "Pims", texts: {} };

/** Notices: messages that carry no code, sent to tell the owner of a number what happened. */
export type SmsNotice = "phoneChanged";

export const NOTICES: Readonly<Record<SmsLanguage, Readonly<Record<SmsNotice, string>>>> = {
  en: {
    phoneChanged:
      "{brand}: your account's trusted phone number was changed to a number ending in {ending}. If you did not do this, contact support now.",
  },
  fr: {
    phoneChanged:
      "{brand} : le numéro de confiance de votre compte a été remplacé par un numéro se terminant par {ending}. Si ce n'est pas vous, contactez le support sans attendre.",
  },
};

/**
 * The text of a notice, from its template.
 *
 * @example
 * noticeText("en", "phoneChanged", "678") // "Pims: your account's trusted phone number was changed to … 678. …"
 */
export function noticeText(language: SmsLanguage, notice: SmsNotice, ending: string, wording: Wording = PIMS): string {
  const template = wording.texts[language]?.[notice] ?? NOTICES[language][notice];
  return fill(template, { ending, brand: wording.brand });
}

/**
 * The text of an SMS, from its template.
 *
 * @example
 * smsText("fr", "resetPin", "123456", 5) // "123456 est votre code Pims pour réinitialiser votre PIN. …"
 */
export function smsText(
  language: SmsLanguage,
  purpose: SmsPurpose,
  code: string,
  minutes: number,
  wording: Wording = PIMS,
): string {
  const template = wording.texts[language]?.[purpose] ?? TEXTS[language][purpose];
  return fill(template, { code, minutes: String(minutes), brand: wording.brand });
}

/** Fills the placeholders in one pass, so that a value never gets a placeholder replaced in it. */
function fill(template: string, values: Partial<Record<(typeof SMS_PLACEHOLDERS)[number], string>>): string {
  return template.replace(
    /\{(code|minutes|brand|ending)\}/g,
    (whole, name: keyof typeof values) => values[name] ?? whole,
  );
}

/** The first of `en`/`fr` an `Accept-Language` header asks for, else `fallback`. */
export function languageOf(acceptLanguage: string | undefined, fallback: SmsLanguage): SmsLanguage {
  for (const part of (acceptLanguage ?? "").split(",")) {
    const tag = part.split(";")[0]?.trim().slice(0, 2).toLowerCase();
    if (tag === "en" || tag === "fr") return tag;
  }
  return fallback;
}
