/** Why a code is sent; part of what the code is bound to. */
export type SmsPurpose = "enrollment" | "certification" | "resetPin";

export type SmsLanguage = "en" | "fr";

const TEXTS: Readonly<Record<SmsLanguage, Readonly<Record<SmsPurpose, string>>>> = {
  en: {
    enrollment: "{code} is your Pims code to enroll this device. It expires in {minutes} min. Never share it.",
    certification:
      "{code} is your Pims code to confirm this phone number. It expires in {minutes} min. Never share it.",
    resetPin: "{code} is your Pims code to reset your PIN. It expires in {minutes} min. Never share it.",
  },
  fr: {
    enrollment:
      "{code} est votre code Pims pour enrôler cet appareil. Il expire dans {minutes} min. Ne le partagez jamais.",
    certification:
      "{code} est votre code Pims pour confirmer ce numéro. Il expire dans {minutes} min. Ne le partagez jamais.",
    resetPin:
      "{code} est votre code Pims pour réinitialiser votre PIN. Il expire dans {minutes} min. Ne le partagez jamais.",
  },
};

/** Notices: messages that carry no code, sent to tell the owner of a number what happened. */
export type SmsNotice = "phoneChanged";

const NOTICES: Readonly<Record<SmsLanguage, Readonly<Record<SmsNotice, string>>>> = {
  en: {
    phoneChanged:
      "Pims: your account's trusted phone number was changed to a number ending in {ending}. If you did not do this, contact support now.",
  },
  fr: {
    phoneChanged:
      "Pims : le numéro de confiance de votre compte a été remplacé par un numéro se terminant par {ending}. Si ce n'est pas vous, contactez le support sans attendre.",
  },
};

/**
 * The text of a notice, from its template.
 *
 * @example
 * noticeText("en", "phoneChanged", "678") // "Pims: your account's trusted phone number was changed to … 678. …"
 */
export function noticeText(language: SmsLanguage, notice: SmsNotice, ending: string): string {
  return NOTICES[language][notice].replace("{ending}", ending);
}

/**
 * The text of an SMS, from its template.
 *
 * @example
 * smsText("fr", "resetPin", "123456", 5) // "123456 est votre code Pims pour réinitialiser votre PIN. …"
 */
export function smsText(language: SmsLanguage, purpose: SmsPurpose, code: string, minutes: number): string {
  return TEXTS[language][purpose].replace("{code}", code).replace("{minutes}", String(minutes));
}

/** The first of `en`/`fr` an `Accept-Language` header asks for, else `fallback`. */
export function languageOf(acceptLanguage: string | undefined, fallback: SmsLanguage): SmsLanguage {
  for (const part of (acceptLanguage ?? "").split(",")) {
    const tag = part.split(";")[0]?.trim().slice(0, 2).toLowerCase();
    if (tag === "en" || tag === "fr") return tag;
  }
  return fallback;
}
