// A member of staff adds a passkey and logs in with it, in Chromium with its virtual
// WebAuthn authenticator (a platform authenticator that verifies the user), at the
// demo's registered host name: passkeys need a domain, not 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, launchBrowser, unusedTotp, axeViolations } from './rathaus.mjs';

let demo;
let browser;
let site;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  site = demo.url.replace('127.0.0.1', 'musterstadt.localhost');
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function password(page) {
  await page.goto(site + 'verwaltung/anmelden');
  await page.fill('#email', 'admin@musterstadt.example');
  await page.fill('#password', 'Demo-Admin-2026');
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/verwaltung/anmelden/code');
}

test('a member of staff adds a passkey, logs in with it, and a missing key is refused', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
  page.on('pageerror', (err) => problems.push(err.message));
  const { cdp, authenticatorId } = await virtualAuthenticator(page);

  // Without a passkey, the code page offers only the code.
  await password(page);
  assert.equal(await page.isVisible('[data-passkey-login]'), false);
  await page.fill('#code', await unusedTotp('DEMOADMINMUSTERSTADTZWEIFAKTORAA'));
  await page.click('form[action="/verwaltung/anmelden/code"] button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/verwaltung');

  await page.click('a:has-text("Sicherheit")');
  assert.equal(new URL(page.url()).pathname, '/verwaltung/sicherheit');
  assert.match(await page.textContent('main'), /noch keinen Passkey/);
  // Without a name, nothing is registered.
  assert.deepEqual(await axeViolations(page), [], 'security page');
  await page.click('[data-passkey-register] button[type="submit"]');
  await page.waitForSelector('[data-passkey-status]:not([hidden])');
  assert.match(await page.textContent('[data-passkey-status]'), /Bezeichnung/);
  assert.deepEqual(await axeViolations(page), [], 'security page with error');
  await page.fill('#passkey-name', 'Dienstlaptop');
  await Promise.all([
    page.waitForURL(/erledigt=passkey-hinzugefuegt/),
    page.click('[data-passkey-register] button[type="submit"]'),
  ]);
  assert.match(await page.textContent('[role="status"]'), /Passkey ist eingerichtet/);
  assert.match(await page.textContent('table'), /Dienstlaptop/);
  assert.deepEqual(await axeViolations(page), [], 'security page with a passkey');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'the authenticator holds one passkey');

  // Log out, log in again: password, then the passkey instead of the code.
  await page.click('button:has-text("Abmelden")');
  await password(page);
  await page.waitForSelector('[data-passkey-login]:not([hidden])');
  assert.deepEqual(await axeViolations(page), [], 'code page with passkey');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/verwaltung'),
    page.click('[data-passkey-login] button[type="submit"]'),
  ]);
  await page.goto(site + 'verwaltung/sicherheit');
  assert.doesNotMatch(await page.textContent('table'), /noch nie/, 'last use recorded');
  await page.goto(site + 'verwaltung/protokoll');
  assert.match(await page.textContent('table'), /staff\.passkey_added/);

  // The key is gone from the authenticator: the passkey login fails with a message and
  // the code still works.
  await page.click('button:has-text("Abmelden")');
  await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
  await password(page);
  await page.waitForSelector('[data-passkey-login]:not([hidden])');
  await page.click('[data-passkey-login] button[type="submit"]');
  await page.waitForSelector('[data-passkey-login] [data-passkey-status]:not([hidden])');
  assert.match(await page.textContent('[data-passkey-login] [data-passkey-status]'), /abgebrochen|nicht geprüft/);
  assert.deepEqual(await axeViolations(page), [], 'code page with passkey error');
  assert.equal(new URL(page.url()).pathname, '/verwaltung/anmelden/code');

  const unexpected = problems.filter((p) => !/status of 4\d\d/.test(p));
  assert.deepEqual(unexpected, [], 'no CSP violations or script errors');
  await context.close();
});

test('without JavaScript the passkey button stays hidden and the code form is there', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(site + 'verwaltung/anmelden');
  await page.fill('#email', 'admin@musterstadt.example');
  await page.fill('#password', 'Demo-Admin-2026');
  await page.click('button[type="submit"]');
  assert.equal(await page.isVisible('[data-passkey-login]'), false);
  assert.equal(await page.isVisible('#code'), true);
  await context.close();
});
