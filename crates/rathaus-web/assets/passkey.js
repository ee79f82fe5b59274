// Passkeys (WebAuthn) for staff: adding one on the security page, and using one as the
// second step of the login. Everything here is an addition: without JavaScript, or in a
// browser without WebAuthn, the forms stay hidden and the code from the authenticator
// app works as before.
//
// The server speaks the JSON of the WebAuthn Level 3 spec, where binary fields are
// base64url strings; the browser API wants ArrayBuffers, so this file converts both ways.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    let base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4) base64 += '=';
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  function fromBytes(buffer) {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // Posts JSON; the server answers `{ "weiter": url }` or `{ "fehler": message }`.
  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.fehler || response.statusText);
    return answer;
  }

  // Shows what went wrong in the form's alert region; a cancelled dialog gets the
  // page's own words instead of the browser's technical message.
  function report(form, error) {
    const status = form.querySelector('[data-passkey-status]');
    const cancelled = error && (error.name === 'NotAllowedError' || error.name === 'AbortError');
    status.textContent = cancelled ? form.dataset.cancelled : error.message;
    status.hidden = false;
  }

  function credentialIds(list) {
    for (const credential of list || []) credential.id = toBytes(credential.id);
  }

  async function register(form) {
    const name = form.elements.name.value;
    const options = (await post(form.dataset.options, { name })).publicKey;
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    credentialIds(options.excludeCredentials);
    const credential = await navigator.credentials.create({ publicKey: options });
    const answer = await post(form.action, {
      name,
      credential: {
        id: credential.id,
        rawId: fromBytes(credential.rawId),
        type: credential.type,
        response: {
          attestationObject: fromBytes(credential.response.attestationObject),
          clientDataJSON: fromBytes(credential.response.clientDataJSON),
        },
        extensions: credential.getClientExtensionResults(),
      },
    });
    window.location.assign(answer.weiter);
  }

  async function login(form) {
    const options = (await post(form.dataset.options, {})).publicKey;
    options.challenge = toBytes(options.challenge);
    credentialIds(options.allowCredentials);
    const credential = await navigator.credentials.get({ publicKey: options });
    const response = credential.response;
    const answer = await post(form.action, {
      weiter: form.elements.weiter.value,
      credential: {
        id: credential.id,
        rawId: fromBytes(credential.rawId),
        type: credential.type,
        response: {
          authenticatorData: fromBytes(response.authenticatorData),
          clientDataJSON: fromBytes(response.clientDataJSON),
          signature: fromBytes(response.signature),
          userHandle: response.userHandle ? fromBytes(response.userHandle) : null,
        },
        extensions: credential.getClientExtensionResults(),
      },
    });
    window.location.assign(answer.weiter);
  }

  for (const [selector, ceremony] of [['[data-passkey-register]', register], ['[data-passkey-login]', login]]) {
    for (const form of document.querySelectorAll(selector)) {
      form.hidden = false;
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const button = form.querySelector('button[type=submit]');
        button.disabled = true;
        ceremony(form)
          .catch((error) => report(form, error))
          .finally(() => { button.disabled = false; });
      });
    }
  }
})();
