// The Pims demo: every button is one SDK call; every answer is shown as the JSON the app received.
import { createPims, indexedDbStore, needsStrongAuthentication } from "@pims/sdk";

const SMS = "pims.authentication.smscode";
const ENROLLMENT = "pims.authentication.enrollment";
const ACCOUNT = "pims.authentication.account";
const PINCODE = "pims.authentication.pincode";
const OTP = "pims.authentication.otp";
const USER = "pims.authentication.user";

const store = indexedDbStore("pims-demo");
const pims = createPims();
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
  $("#log").prepend(item);
  return message;
}

async function call(label, verb, api, params) {
  return show(label, await pims[verb](api, params));
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
  transfer: () => transfer(),
  confirm: async () => {
    const otp = await call("S15 OTP withPIN for the transfer", "get", OTP, {
      action: "withPIN",
      pinCode: field("stepup", "pinCode"),
      context: "transfer:bob:100",
    });
    if (otp.status === "SUCCEEDED") await transfer();
    return otp;
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
  return message;
}

/** The app's side of step-up: call, and on 2302 ask for the PIN; the PIN form repeats the call. */
async function transfer() {
  const response = await pims.fetch("/demo/api/transfer", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "bob", amount: 100 }),
  });
  const answer = await response.clone().json();
  show(`protected API: HTTP ${response.status}`, answer);
  const output = $("#transfer");
  if (await needsStrongAuthentication(response)) {
    $("#stepup-pin").hidden = false;
    form("stepup").elements.namedItem("pinCode").focus();
    output.textContent = "";
    return answer;
  }
  $("#stepup-pin").hidden = true;
  output.className = `result ${response.ok ? "ok" : "bad"}`;
  output.textContent = response.ok
    ? `Transferred €${answer.result.transferred} to ${answer.result.to} (${answer.result.factors.join(" + ")}).`
    : `Refused: ${answer.error?.label ?? response.status}`;
  return answer;
}

async function run(button) {
  const operation = operations[button.dataset.op];
  if (!operation) return;
  button.setAttribute("aria-busy", "true");
  try {
    await operation(button);
  } finally {
    button.removeAttribute("aria-busy");
    await refreshState();
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-op]");
  if (button && button.type === "button") run(button);
});
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
    const { messages } = await (await fetch("/dev/sms")).json();
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

const initialized = await pims.initialize({ serverUrl: location.origin, store });
show("initialize", initialized);
const suffix = Math.random().toString(36).slice(2, 7);
form("account").elements.namedItem("login").value = `alice-${suffix}`;
form("account").elements.namedItem("password").value = "correct horse battery";
const phone = `061${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
form("shortcut").elements.namedItem("phoneNumber").value = phone;
form("full").elements.namedItem("phoneNumber").value = phone;
await refreshState();
pollInbox();
document.documentElement.dataset.ready = "true";
