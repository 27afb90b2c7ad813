// Security keys and passkeys (WebAuthn): adding one, and signing in with one.
//
// The page's [data-security-key] block (two_factor/includes/security_key_ceremony.html)
// names the ceremony ("register" or "sign-in") and its two steps on the server. Its
// button asks the server for a challenge, hands it to the browser
// (navigator.credentials.create or .get, which talks to the key), sends the browser's
// answer back for django-otp-webauthn to check, and follows where the server says to go.
// A file of its own, loaded from this site: the Content Security Policy allows no
// inline script.

const block = document.querySelector("[data-security-key]");

// WebAuthn sends binary fields as base64url text in JSON, and the browser wants bytes.
const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
};
const toText = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const withIds = (descriptors) =>
  (descriptors || []).map((descriptor) => ({ ...descriptor, id: toBytes(descriptor.id) }));

const creationOptions = (options) => ({
  ...options,
  challenge: toBytes(options.challenge),
  user: { ...options.user, id: toBytes(options.user.id) },
  excludeCredentials: withIds(options.excludeCredentials),
});
const requestOptions = (options) => ({
  ...options,
  challenge: toBytes(options.challenge),
  allowCredentials: withIds(options.allowCredentials),
});

const registration = (credential) => ({
  id: credential.id,
  rawId: toText(credential.rawId),
  type: credential.type,
  authenticatorAttachment: credential.authenticatorAttachment || undefined,
  clientExtensionResults: credential.getClientExtensionResults(),
  response: {
    clientDataJSON: toText(credential.response.clientDataJSON),
    attestationObject: toText(credential.response.attestationObject),
    transports: credential.response.getTransports ? credential.response.getTransports() : [],
  },
});
const assertion = (credential) => ({
  id: credential.id,
  rawId: toText(credential.rawId),
  type: credential.type,
  authenticatorAttachment: credential.authenticatorAttachment || undefined,
  clientExtensionResults: credential.getClientExtensionResults(),
  response: {
    clientDataJSON: toText(credential.response.clientDataJSON),
    authenticatorData: toText(credential.response.authenticatorData),
    signature: toText(credential.response.signature),
    userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
  },
});

// What the browser's refusals mean, in words for the person at the keyboard.
const BROWSER_PROBLEMS = {
  NotAllowedError:
    "Your security key was not used. It may have taken too long, or been cancelled. Try again.",
  InvalidStateError: "This security key or passkey is already added to your account.",
  SecurityError:
    "Security keys cannot be used at this web address. Contact your OpenMASH administrator.",
  AbortError: "Your security key was not used. Try again.",
};
const SOMETHING_WRONG = "Something went wrong. Try again.";

class Problem extends Error {}

const post = async (url, csrfToken, body) => {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken, "Content-Type": "application/json", Accept: "application/json" },
    body: body === undefined ? "" : JSON.stringify(body),
  });
  // Locked out after too many tries: signed out already; reloading shows where to go.
  if (response.status === 429) {
    window.location.reload();
    return null;
  }
  let data = null;
  if ((response.headers.get("content-type") || "").includes("application/json")) {
    data = await response.json();
  }
  // Done, or nothing more to do here (a page expired): the server says where to go.
  if (data && data.redirect_url) {
    window.location.assign(data.redirect_url);
    return null;
  }
  if (!response.ok || data === null) throw new Problem((data && data.detail) || SOMETHING_WRONG);
  return data;
};

// The "next" page the person was going to, kept through the sign-in (verify.html's field).
const withNext = (url) => {
  const next = document.querySelector("input[name='next']");
  if (!next || !next.value) return url;
  const address = new URL(url, window.location.origin);
  address.searchParams.set("next", next.value);
  return address.pathname + address.search;
};

const setUp = (block) => {
  const ceremony = block.dataset.securityKey;
  const button = block.querySelector("[data-security-key-button]");
  const status = block.querySelector("[data-security-key-status]");
  const summary = block.querySelector("[data-security-key-error]");
  const message = block.querySelector("[data-security-key-error-message]");
  const title = document.title;

  if (!(window.PublicKeyCredential && navigator.credentials && window.isSecureContext)) return;
  block.querySelector("[data-security-key-unsupported]").hidden = true;
  block.querySelector("[data-security-key-available]").hidden = false;

  const showProblem = (text) => {
    status.textContent = "";
    message.textContent = text;
    summary.hidden = false;
    document.title = `Error: ${title}`;
    summary.focus();
  };

  message.addEventListener("click", (event) => {
    event.preventDefault();
    button.focus();
  });

  button.addEventListener("click", async () => {
    summary.hidden = true;
    document.title = title;
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    status.textContent = "Follow your browser's instructions to use your security key or passkey.";
    try {
      const options = await post(block.dataset.beginUrl, block.dataset.csrfToken);
      if (options === null) return;
      let answer;
      try {
        if (ceremony === "register") {
          answer = registration(await navigator.credentials.create({ publicKey: creationOptions(options) }));
        } else {
          answer = assertion(await navigator.credentials.get({ publicKey: requestOptions(options) }));
        }
      } catch (error) {
        throw new Problem(BROWSER_PROBLEMS[error && error.name] || SOMETHING_WRONG);
      }
      status.textContent = "Checking your security key.";
      const url = ceremony === "register" ? block.dataset.completeUrl : withNext(block.dataset.completeUrl);
      await post(url, block.dataset.csrfToken, answer);
    } catch (error) {
      showProblem(error instanceof Problem ? error.message : SOMETHING_WRONG);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    }
  });
};

if (block) setUp(block);
