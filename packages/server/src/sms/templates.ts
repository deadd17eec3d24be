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
