// The Pims demo: every button is one SDK call; every answer is shown as the JSON the app received,
// and a failure also next to the button that caused it, with its plain meaning.
import { describeError, HEADERS, INTERNAL_PATHS } from "@pims/protocol";
import { createPims, indexedDbStore, needsStrongAuthentication } from "@pims/sdk";

const SMS = "pims.authentication.smscode";
const ENROLLMENT = "pims.authentication.enrollment";
const ACCOUNT = "pims.authentication.account";
const PINCODE = "pims.authentication.pincode";
const OTP = "pims.authentication.otp";
const USER = "pims.authentication.user";

/**
 * The brands the page switches between: the default tenant (no client id), and the two demo brands
 * of `pims serve --demo-brands` (packages/server/demo/tenants.yaml). Each has its own IndexedDB
 * store, so each has its own device enrollment; `name` is the server's (GET /v1/client).
 */
const BRANDS = [
  { key: "default", clientId: undefined, storeName: "pims-demo", name: "Default", policy: "" },
  {
    key: "peugeot",
    clientId: "demo-peugeot-web",
    storeName: "pims-demo-peugeot",
    name: "Peugeot (demo)",
    policy: "OTPs of 6 digits, locked after 3 wrong PINs",
  },
  {
    key: "opel",
    clientId: "demo-opel-web",
    storeName: "pims-demo-opel",
    name: "Opel (demo)",
    policy: "a PIN of exactly 6 digits",
  },
];
const brandOf = (key) => BRANDS.find((b) => b.key === key);
/** One store per brand, opened once. */
const storeOf = (b) => {
  b.store ??= indexedDbStore(b.storeName);
  return b.store;
};
let brand = brandOf(new URLSearchParams(location.search).get("brand") ?? "default") ?? BRANDS[0];
let store = storeOf(brand);
const pims = createPims();
/**
 * The browser logs every 4xx answer to `fetch` as a console error, and this journey meets many on
 * purpose (wrong PIN, no number yet…). In development mode the server answers a FAILED message
 * with HTTP 200 when asked by this header; the SDK reads the code in the message, not the status.
 */
const quietFetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("pims-failure-status", "200");
  return fetch(input, { ...init, headers });
};
const $ = (selector) => document.querySelector(selector);
const form = (name) => document.querySelector(`form[data-form="${name}"]`);
const field = (formName, name) => form(formName).elements.namedItem(name).value.trim();

/** Shows a message in the log, newest first, and returns it. */
function show(label, message) {
  const item = document.createElement("li");
  item.className = message.status;
  const title = document.createElement("div");
  title.className = "op";
  title.textContent = label;
  const body = document.createElement("pre");
  body.textContent = JSON.stringify(message, null, 2);
  item.append(title, body);
  if (typeof message.result?.otp === "string") item.dataset.otp = message.result.otp;
  $("#log").prepend(item);
  return message;
}

/** A failure next to the button that caused it (the log may be far below, at phone width). */
function feedback(button, message) {
  const actions = button.closest(".actions") ?? button;
  let line = actions.nextElementSibling;
  if (!line?.classList.contains("feedback")) {
    line = document.createElement("p");
    line.className = "feedback";
    line.id = `feedback-${document.querySelectorAll(".feedback").length + 1}`;
    line.setAttribute("role", "status");
    line.setAttribute("aria-live", "polite");
    actions.after(line);
  }
  button.setAttribute("aria-describedby", line.id);
  line.replaceChildren();
  if (message?.status !== "FAILED") {
    line.hidden = true;
    return;
  }
  const { code, label } = message.error;
  const head = document.createElement("strong");
  head.textContent = `${code} ${label}`;
  const meaning = document.createElement("span");
  meaning.textContent = describeError(code);
  line.append(head, meaning);
  line.hidden = false;
}

/**
 * The OTP the SDK holds for the next `pims.fetch` (the last one S15/S16 gave): once sent, it is
 * spent — the relying party consumed it, or refused it; either way it cannot be used again.
 */
let pendingOtp;
function markSpent(otp) {
  if (otp === undefined) return;
  if ($("#otp").textContent === otp) {
    $("#otp").classList.add("spent");
    $("#otp").dataset.state = "spent";
    $("#otp").title = "Spent: sent with the unlock; an OTP works once";
  }
  for (const item of document.querySelectorAll(`#log li[data-otp="${otp}"]`)) {
    if (item.querySelector(".spent-tag")) continue;
    const tag = document.createElement("span");
    tag.className = "spent-tag";
    tag.textContent = "spent";
    item.querySelector(".op").append(" ", tag);
  }
}

async function call(label, verb, api, params) {
  const message = show(label, await pims[verb](api, params));
  if (api === OTP && message.status === "SUCCEEDED") pendingOtp = message.result.otp;
  return message;
}

async function refreshState() {
  const session = await store.get("pims.session");
  if (!session) {
    $("#state").textContent = "Not logged in.";
    $("#device-key").textContent = "";
    return;
  }
  const device = await store.get(`pims.device.${session.accountId}`);
  const enrolled = device?.enrolledAt ? "this device is enrolled" : "this device is not enrolled";
  $("#state").textContent = `Logged in as ${session.username}; ${enrolled}.`;
  $("#device-key").textContent = device
    ? `Device key ${device.id}: ECDSA P-256, ${device.privateKey.extractable ? "extractable" : "non-extractable"}, kept in IndexedDB.`
    : "";
}

const operations = {
  createAccount: () =>
    call("create account", "set", USER, {
      action: "createAccount",
      login: field("account", "login"),
      password: field("account", "password"),
    }),
  login: () =>
    call("log in", "set", USER, {
      action: "login",
      login: field("account", "login"),
      password: field("account", "password"),
    }),
  logout: () => call("log out", "set", USER, { action: "logout" }),
  S1: () => call("S1 isDeviceActivated", "get", ACCOUNT, { actionType: "strong", type: "isDeviceActivated" }),
  S2: () => call("S2 isAccountBlocked", "get", ACCOUNT, { actionType: "strong", type: "isAccountBlocked" }),
  S3: () => call("S3 trusted phone number", "get", "pims.authentication.trustedphonenumber", {}),
  S5: (button) =>
    call("S5 phoneNumberCertification", "get", SMS, {
      type: "phoneNumberCertification",
      phoneNumber: field(button.dataset.from, "phoneNumber"),
    }),
  S11: () =>
    call("S11 enrollmentWithPhoneNumber", "set", ENROLLMENT, {
      action: "enrollmentWithPhoneNumber",
      phoneNumber: field("shortcut", "phoneNumber"),
      smsCode: field("shortcut", "smsCode"),
      pinCode: field("shortcut", "pinCode"),
    }),
  S8: () =>
    call("S8 addPhoneNumber", "set", SMS, {
      action: "addPhoneNumber",
      phoneNumber: field("full", "phoneNumber"),
      smsCode: field("full", "numberCode"),
    }),
  S4: () => call("S4 enrollment code", "get", SMS, { type: "enrollment" }),
  S7: async () => {
    const message = await call("S7 validate enrollment code", "set", SMS, {
      action: "enrollment",
      smsCode: field("full", "smsCode"),
    });
    $("#enrollment-status").textContent =
      message.status === "SUCCEEDED"
        ? message.result.status === "NotEnrolled"
          ? "NotEnrolled: the account has no PIN yet — choose one."
          : "AlreadyEnrolled: type the account PIN."
        : "";
    return message;
  },
  S10: () => call("S10 enroll", "set", ENROLLMENT, { action: "enroll", pinCode: field("full", "pinCode") }),
  S15: async () =>
    showOtp(await call("S15 OTP withPIN", "get", OTP, { action: "withPIN", pinCode: field("otp", "pinCode") })),
  S16: async () => showOtp(await call("S16 OTP withoutPIN", "get", OTP, { action: "withoutPIN" })),
  unlock: () => unlock(VIN),
  confirm: async () => {
    // The OTP is asked for the transaction itself: the device signs it, the answer repeats it.
    const otp = await call("S15 OTP withPIN for the unlock", "get", OTP, {
      action: "withPIN",
      pinCode: field("stepup", "pinCode"),
      transaction: unlockOf(VIN),
    });
    if (otp.status === "SUCCEEDED") {
      $("#signed").textContent = `Signed by this device: ${JSON.stringify(otp.result.transaction)}`;
      $("#tamper").disabled = false;
      await unlock(VIN);
    }
    return otp;
  },
  tamper: async () => {
    // Another OTP for the genuine VIN, then a request for a VIN one character off: refused.
    const otp = await call("S15 OTP withPIN for the unlock", "get", OTP, {
      action: "withPIN",
      pinCode: field("stepup", "pinCode"),
      transaction: unlockOf(VIN),
    });
    if (otp.status !== "SUCCEEDED") return otp;
    return unlock(oneCharacterOff(VIN));
  },
  S14: () =>
    call("S14 change PIN", "set", PINCODE, {
      action: "update",
      oldPIN: field("change", "oldPIN"),
      newPIN: field("change", "newPIN"),
    }),
  S6: () => call("S6 resetPIN code", "get", SMS, { type: "resetPIN" }),
  S13: () =>
    call("S13 reset PIN", "set", PINCODE, {
      action: "reset",
      pinCode: field("reset", "pinCode"),
      smsCode: field("reset", "smsCode"),
    }),
  S12: () => call("S12 remove enrollments", "set", ENROLLMENT, { action: "remove" }),
};

function showOtp(message) {
  $("#otp").textContent = message.status === "SUCCEEDED" ? message.result.otp : "";
  $("#otp").classList.remove("spent");
  delete $("#otp").dataset.state;
  $("#otp").removeAttribute("title");
  return message;
}

/** The demo vehicle, and the remote command the protected API performs on it. */
const VIN = "VF3LCYHZPHS123456";
const unlockOf = (vin) => ({ type: "vehicle.unlock", vin });
/** The VIN with its last character changed: what a tampered request would carry. */
const oneCharacterOff = (vin) => `${vin.slice(0, -1)}${vin.endsWith("6") ? "7" : "6"}`;

/**
 * The app's side of step-up: call, and on 2302 show what will be authorized and ask for the PIN;
 * the PIN form gets an OTP for exactly that transaction and repeats the call.
 */
async function unlock(vin) {
  // The sample API is the app's own: pims.fetch adds the token and the OTP, not the client id.
  // The app says which brand calls, as the SDK does to the Pims server; the server picks the tenant by it.
  const response = await pims.fetch("/demo/api/unlock", {
    method: "POST",
    headers: { "content-type": "application/json", ...(brand.clientId ? { [HEADERS.clientId]: brand.clientId } : {}) },
    body: JSON.stringify({ vin }),
  });
  markSpent(pendingOtp);
  pendingOtp = undefined;
  const answer = await response.clone().json();
  show(`protected API: HTTP ${response.status}`, answer);
  const output = $("#unlock");
  if (vin === VIN && (await needsStrongAuthentication(response))) {
    $("#stepup-what").textContent = `Unlock vehicle ${vin}`;
    $("#stepup-pin").hidden = false;
    form("stepup").elements.namedItem("pinCode").focus();
    output.textContent = "";
    // The PIN prompt is the answer to this 2302: not a failure to show beside the button.
    return { ...answer, expected: true };
  }
  output.className = `result ${response.ok ? "ok" : "bad"}`;
  output.textContent = response.ok
    ? `Unlocked ${answer.result.unlocked} (${answer.result.factors.join(" + ")}, signed by ${answer.result.signedBy}).`
    : `Refused for ${vin}: ${answer.error?.label ?? response.status} — the OTP was signed for ${VIN}.`;
  return answer;
}

async function run(button) {
  const operation = operations[button.dataset.op];
  if (!operation) return;
  button.setAttribute("aria-busy", "true");
  let message;
  try {
    message = await operation(button);
  } catch (error) {
    // The SDK answers messages and never throws; this is the page itself (e.g. an unreadable answer).
    message = { status: "FAILED", error: { code: 2000, label: `The page failed: ${error?.message ?? error}` } };
  } finally {
    button.removeAttribute("aria-busy");
  }
  feedback(button, message?.expected ? undefined : message);
  await refreshState().catch(() => undefined);
  await refreshSessions().catch(() => undefined);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-op]");
  if (button && button.type === "button") run(button);
  const choice = event.target.closest("button[data-brand]");
  if (choice) switchBrand(brandOf(choice.dataset.brand));
});

/** The SDK's configuration for `b`: its own store, and for a demo brand its client id and brand. */
async function initializeFor(b) {
  const config = { serverUrl: location.origin, store, fetch: quietFetch };
  if (b.clientId) Object.assign(config, { credential: { clientId: b.clientId }, profile: { brand: b.key } });
  return show(`initialize (${b.name})`, await pims.initialize(config));
}

/** Which brands this server serves, and their names, as GET /v1/client answers for each client id. */
async function probeBrands() {
  await Promise.all(
    BRANDS.map(async (b) => {
      const headers = { "pims-failure-status": "200", ...(b.clientId ? { [HEADERS.clientId]: b.clientId } : {}) };
      try {
        const answer = await (await fetch(INTERNAL_PATHS.client, { headers })).json();
        b.available = answer.status === "SUCCEEDED";
        if (b.available) {
          b.name = answer.result.tenant.name;
          b.app = answer.result.app;
        }
      } catch {
        b.available = false;
      }
    }),
  );
  for (const b of BRANDS) {
    const button = document.querySelector(`button[data-brand="${b.key}"]`);
    button.textContent = b.name;
    button.disabled = !b.available;
    button.title = b.available
      ? ""
      : "Not declared on this server: start it with `npm start` (pims serve --demo-brands).";
  }
}

/** The brand the SDK serves now, shown above the journey. */
function showBrand() {
  for (const button of document.querySelectorAll("button[data-brand]")) {
    const current = button.dataset.brand === brand.key;
    button.setAttribute("aria-pressed", String(current));
    button.classList.toggle("secondary", !current);
  }
  const app = brand.clientId ? `app ${brand.app ?? brand.clientId} (client id ${brand.clientId})` : "no client id";
  $("#brand").textContent = `${brand.name}: ${app}${brand.policy ? `; policy: ${brand.policy}` : ""}.`;
  document.documentElement.dataset.brand = brand.key;
}

/** Who is logged in, per brand: each brand's store is read, as the SDK keeps the session there. */
async function refreshSessions() {
  const items = await Promise.all(
    BRANDS.map(async (b) => {
      const item = document.createElement("li");
      item.dataset.brand = b.key;
      const name = document.createElement("strong");
      name.textContent = b.name;
      const what = document.createElement("span");
      if (!b.available) what.textContent = "not served here";
      else {
        const session = await storeOf(b).get("pims.session");
        what.textContent = session ? `logged in as ${session.username}` : "not logged in";
        if (b.key === brand.key) item.classList.add("current");
      }
      item.append(name, " ", what);
      return item;
    }),
  );
  $("#sessions").replaceChildren(...items);
}

/** What one brand's journey left on screen (an OTP, a step-up, the answers next to buttons). */
function clearJourney() {
  pendingOtp = undefined;
  showOtp({ status: "FAILED" });
  $("#stepup-pin").hidden = true;
  $("#tamper").disabled = true;
  $("#signed").textContent = "";
  $("#unlock").textContent = "";
  $("#unlock").className = "result";
  $("#enrollment-status").textContent = "";
  for (const line of document.querySelectorAll(".feedback")) line.hidden = true;
}

/**
 * Releases the SDK (it forgets this brand's session; the enrollment stays in the brand's store)
 * and initializes it again for `next`, with its client id and its own store.
 */
let switching = false;
async function switchBrand(next) {
  if (!next?.available || switching || next.key === brand.key) return;
  switching = true;
  document.documentElement.dataset.ready = "switching";
  const buttons = document.querySelectorAll("button[data-brand]");
  for (const button of buttons) button.disabled = true;
  try {
    show(`release (${brand.name})`, await pims.release());
    const previous = brand;
    brand = next;
    store = storeOf(next);
    clearJourney();
    const initialized = await initializeFor(next);
    if (initialized.status === "FAILED") {
      // Back to the brand that worked, so the page keeps an initialized SDK.
      brand = previous;
      store = storeOf(previous);
      await initializeFor(previous);
    }
    history.replaceState(null, "", brand.key === "default" ? location.pathname : `?brand=${brand.key}`);
    showBrand();
    await refreshState();
  } finally {
    for (const button of buttons) button.disabled = !brandOf(button.dataset.brand).available;
    await refreshSessions().catch(() => undefined);
    switching = false;
    document.documentElement.dataset.ready = "true";
  }
}
document.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = event.submitter?.dataset.op
    ? event.submitter
    : event.target.querySelector("button[type=submit][data-op]");
  if (button) run(button);
});

/** The development inbox: newest SMS first, polled every second. */
let lastInbox = "";
async function pollInbox() {
  try {
    const response = await fetch("/dev/sms");
    if (response.status === 404) {
      // No development inbox on this server (an SMS provider other than the console one): stop asking.
      $("#inbox").replaceChildren(Object.assign(document.createElement("li"), { textContent: INBOX_ABSENT }));
      return;
    }
    const { messages } = await response.json();
    const text = JSON.stringify(messages);
    if (text !== lastInbox) {
      lastInbox = text;
      $("#inbox").replaceChildren(
        ...messages.map((m) => {
          const item = document.createElement("li");
          const to = document.createElement("span");
          to.className = "to";
          to.textContent = m.to;
          const at = document.createElement("time");
          at.dateTime = new Date(m.at).toISOString();
          at.textContent = new Date(m.at).toLocaleTimeString();
          const body = document.createElement("div");
          body.textContent = m.body;
          item.append(to, at, body);
          return item;
        }),
      );
    }
  } catch {
    // The inbox is a convenience; the journey goes on without it.
  }
  setTimeout(pollInbox, 1000);
}

const INBOX_ABSENT = "This server has no development inbox (its SMS provider is not the console one).";

/** What stops the page from starting, said plainly; undefined when it can start. */
async function startProblem() {
  if (typeof indexedDB === "undefined") {
    return "Cannot start: this browser gives the page no IndexedDB (private mode, or site storage blocked?), so the device key has nowhere to live. Allow storage for this site, or use another browser.";
  }
  try {
    await store.get("pims.session");
  } catch {
    return "Cannot start: IndexedDB refused to open the page's store (private mode, storage blocked or full?), so the device key has nowhere to live. Allow storage for this site, or use another browser.";
  }
  let serverUp = false;
  try {
    serverUp = (await fetch("/health", { signal: AbortSignal.timeout(5000) })).ok;
  } catch {
    // Unreachable or too slow: said below.
  }
  if (!serverUp) {
    return `Cannot start: the Pims server at ${location.origin} does not answer (is \`npm start\` still running?). Reload the page once it is up.`;
  }
  await probeBrands();
  if (!brand.available) brand = BRANDS[0];
  store = storeOf(brand);
  const initialized = await initializeFor(brand);
  if (initialized.status === "FAILED") {
    const { code, label } = initialized.error;
    return `Cannot start: the SDK did not initialize (${code} ${label}: ${describeError(code)}).`;
  }
  return undefined;
}

const problem = await startProblem().catch((error) => `Cannot start: ${error?.message ?? error}`);
if (problem === undefined) {
  const suffix = Math.random().toString(36).slice(2, 7);
  form("account").elements.namedItem("login").value = `alice-${suffix}`;
  form("account").elements.namedItem("password").value = "correct horse battery";
  const phone = `061${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  form("shortcut").elements.namedItem("phoneNumber").value = phone;
  form("full").elements.namedItem("phoneNumber").value = phone;
  showBrand();
  await refreshState();
  await refreshSessions();
  pollInbox();
  document.documentElement.dataset.ready = "true";
} else {
  $("#state").textContent = problem;
  $("#state").classList.add("failed");
  for (const button of document.querySelectorAll("button[data-op], button[data-brand]")) button.disabled = true;
  document.documentElement.dataset.ready = "failed";
}
