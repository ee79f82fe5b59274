// The city's app logs in for a citizen, in a real browser: the app opens the
// authorization page, the citizen logs in and allows it on the consent page, and the
// browser brings the code back to the app on a loopback port (RFC 8252), as a desktop or
// phone app receives it. The app then reads the applications with its token; the
// citizen ends its access on the account page, and the token stops working. Our pages
// carry no script (axe-core is injected through the DevTools protocol to check each).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { startDemo, launchBrowser, linkFromOutbox, axeViolations } from './rathaus.mjs';

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Fails after `ms` instead of waiting for ever (a blocked redirect never arrives). */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The app's side of the loopback redirect: resolves with the query it was called with. */
async function loopback() {
  let received;
  const arrived = new Promise((resolve) => { received = resolve; });
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="de"><title>App</title><main><h1>Zurück in der App</h1></main></html>');
    received(Object.fromEntries(url.searchParams));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { redirect: `http://127.0.0.1:${server.address().port}/oauth`, arrived, close: () => server.close() };
}

test('the app logs in for a citizen through the consent page and loses access when she ends it', async () => {
  const base = demo.url.replace(/\/$/, '');
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(`${base}/konto/registrieren`);
  await page.fill('#email', 'app-test@example.org');
  await page.fill('#password', 'Laterne Fahrrad Wolke');
  await page.click('button[type="submit"]');
  await page.goto(await linkFromOutbox(demo.data, 'app-test@example.org', `${base}/konto/bestaetigen/`));

  // The app opens the authorization page in the browser, with PKCE and a state.
  const app = await loopback();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${base}/oauth/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: 'musterstadt-app', redirect_uri: app.redirect,
    scope: 'applications postbox', state: 'app-state-1', code_challenge: challenge,
    code_challenge_method: 'S256',
  })) authorize.searchParams.set(name, value);
  await page.goto(authorize.toString());

  // Login first, then straight on to the consent page.
  assert.equal(new URL(page.url()).pathname, '/konto/anmelden');
  await page.fill('#email', 'app-test@example.org');
  await page.fill('#password', 'Laterne Fahrrad Wolke');
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/oauth/authorize');
  assert.match(await page.textContent('h1'), /Musterstadt-App möchte auf Ihr Konto zugreifen/);
  assert.match(await page.textContent('main'), /app-test@example\.org/);
  assert.deepEqual(await axeViolations(page), [], 'consent page');

  await page.click('button:has-text("Erlauben")');
  const back = await within(app.arrived, 15000, 'the code back at the app');
  assert.equal(back.state, 'app-state-1');
  assert.equal(back.iss, base);
  assert.ok(back.code);
  await page.waitForURL((url) => url.toString().startsWith(app.redirect));

  // The app takes the code to the token endpoint and reads the applications.
  const answer = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code', client_id: 'musterstadt-app', code: back.code,
      redirect_uri: app.redirect, code_verifier: verifier,
    }),
  });
  assert.equal(answer.status, 200);
  const tokens = await answer.json();
  const applications = () => fetch(`${base}/api/v1/me/applications`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  const list = await applications();
  assert.equal(list.status, 200);
  assert.deepEqual(await list.json(), { count: 0, applications: [] });

  // The account page lists the app; ending its access stops the token at once.
  await page.goto(`${base}/konto`);
  await page.click('a[href="/konto/apps"]');
  assert.match(await page.textContent('main'), /Musterstadt-App/);
  assert.deepEqual(await axeViolations(page), [], 'connected apps');
  await page.click('button:has-text("Zugriff von „Musterstadt-App“ beenden")');
  assert.match(await page.textContent('[role="status"]'), /Der Zugriff der App ist beendet/);
  assert.match(await page.textContent('main'), /Keine App hat Zugriff/);
  assert.deepEqual(await axeViolations(page), [], 'connected apps after ending one');
  assert.equal((await applications()).status, 401);

  // Saying no sends the app an error, not a code.
  const denied = await loopback();
  authorize.searchParams.set('redirect_uri', denied.redirect);
  authorize.searchParams.set('state', 'app-state-2');
  await page.goto(authorize.toString());
  await page.click('button:has-text("Ablehnen")');
  const refusal = await within(denied.arrived, 15000, 'the refusal back at the app');
  assert.equal(refusal.error, 'access_denied');
  assert.equal(refusal.state, 'app-state-2');
  assert.equal(refusal.code, undefined);

  app.close();
  denied.close();
  await context.close();
});
