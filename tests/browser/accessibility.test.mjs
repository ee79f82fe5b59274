// Every public page of the demo town hall, in a real browser: no axe-core violations
// (WCAG 2.1 A/AA rules), no Content-Security-Policy violations, usable by keyboard and
// without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import {
  startDemo, launchBrowser, linkFromOutbox, unusedTotp, startOidcProvider, rathausAdmin, axeViolations,
} from './rathaus.mjs';

const pages = [
  '/', '/impressum', '/datenschutz', '/barrierefreiheit', '/gibt-es-nicht',
  '/konto/registrieren', '/konto/anmelden', '/konto/registrieren/gesendet', '/konto/bestaetigen/abgelaufen',
  '/konto/passwort-vergessen', '/konto/passwort-vergessen/gesendet', '/konto/passwort-neu/abgelaufen',
  '/suche?q=Parkausweis', '/suche?q=Raumfahrt', '/lebenslagen/auto-verkehr', '/leistungen/bewohnerparkausweis',
  '/leistungen/einbuergerung-beantragen', '/verify', '/verify/AAAA-BBBB-CC',
];

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

for (const lang of ['de', 'en']) {
  for (const path of pages) {
    test(`${path} (${lang}) has no accessibility or CSP violations`, async () => {
      const context = await browser.newContext({ locale: lang === 'de' ? 'de-DE' : 'en-GB' });
      const page = await context.newPage();
      const problems = [];
      page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
      page.on('pageerror', (err) => problems.push(err.message));
      await page.goto(demo.url.replace(/\/$/, '') + path);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      // Pages that answer 404/410 on purpose log that status; anything else (a CSP
      // violation, a script error) fails the test.
      const unexpected = problems.filter((p) => !/Failed to load resource: the server responded with a status of 4(04|10)/.test(p));
      assert.deepEqual(unexpected, [], 'no console errors (CSP would show here)');
      // KERN's stylesheet and our fonts were allowed and applied.
      const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
      assert.match(font, /Fira Sans/);
      assert.deepEqual(await axeViolations(page), []);
      if (path === '/') {
        mkdirSync('screenshots', { recursive: true });
        await page.screenshot({ path: `screenshots/home-${lang}.png`, fullPage: true });
      }
      await context.close();
    });
  }
}

test('the first Tab reaches the skip link, which leads to the content', async () => {
  const page = await browser.newPage({ locale: 'de-DE' });
  await page.goto(demo.url);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.textContent.trim());
  assert.equal(focused, 'Zum Inhalt springen');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => location.hash), '#inhalt');
  await page.close();
});

test('the language switch works without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(demo.url + 'impressum');
  await page.click('a[hreflang="en"]');
  assert.equal(new URL(page.url()).pathname, '/impressum');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('h1'), /Legal notice/);
  await page.click('a[hreflang="de"]');
  assert.match(await page.textContent('h1'), /Impressum/);
  await context.close();
});

test('staff pages: login, overview, audit log and jobs have no accessibility violations', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(demo.url + 'verwaltung');
  assert.match(page.url(), /\/verwaltung\/anmelden/);
  // A failed login shows an error summary, which must be accessible too.
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('.kern-alert'), /E-Mail-Adresse/);
  assert.deepEqual(await axeViolations(page), []);
  await page.fill('#email', 'admin@musterstadt.example');
  await page.fill('#password', 'Demo-Admin-2026');
  await page.click('button[type="submit"]');
  // The second factor: the demo's published secret stands in for the admin's phone.
  assert.equal(new URL(page.url()).pathname, '/verwaltung/anmelden/code');
  assert.deepEqual(await axeViolations(page), [], 'code page');
  await page.fill('#code', '000000');
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('.kern-alert'), /nicht richtig/);
  assert.deepEqual(await axeViolations(page), [], 'code page with error');
  await page.fill('#code', await unusedTotp('DEMOADMINMUSTERSTADTZWEIFAKTORAA'));
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/verwaltung');
  assert.deepEqual(await axeViolations(page), []);
  for (const path of ['verwaltung/protokoll', 'verwaltung/auftraege', 'verwaltung/protokoll?von=kaputt',
    'verwaltung/personal', 'verwaltung/personal/neu', 'verwaltung/passwort', 'verwaltung/sicherheit', 'verwaltung/fachdienste',
    'verwaltung/leistungen?q=park', 'verwaltung/leistungen/bewohnerparkausweis', 'verwaltung/formulare',
    'verwaltung/zustaendigkeit', 'verwaltung/zustaendigkeit/probe', 'verwaltung/zustaendigkeit/probe?aktenzeichen=MS-2026-XXXXX',
    'verwaltung/aufbewahrung', 'verwaltung/dokumente?q=antrag', 'verwaltung/postausgang', 'verwaltung/stadt']) {
    await page.goto(demo.url + path);
    assert.deepEqual(await axeViolations(page), [], path);
  }
  // A team: without a name the error is announced; then it is added to its department.
  await page.goto(demo.url + 'verwaltung/fachdienste');
  await page.selectOption('#team_department', { label: 'Straßenverkehr und Parken' });
  await page.fill('#team_key', 'bewohnerparken');
  await page.click('button:has-text("Team anlegen")');
  assert.match(await page.textContent('#fehler'), /Namen des Teams/);
  assert.deepEqual(await axeViolations(page), [], 'team form with an error');
  await page.fill('#team_name', 'Bewohnerparken');
  await page.click('button:has-text("Team anlegen")');
  assert.match(await page.textContent('main'), /Das Team wurde angelegt/);
  assert.match(await page.textContent('main'), /Bewohnerparken/);
  assert.deepEqual(await axeViolations(page), [], 'departments with a team');
  // A service's own fee: a wrong amount is announced, a right one saved.
  await page.goto(demo.url + 'verwaltung/leistungen/bewohnerparkausweis');
  await page.fill('#fee_cents', 'viel');
  await page.click('button:has-text("Speichern")');
  assert.match(await page.textContent('#fehler'), /Betrag in Euro/);
  assert.deepEqual(await axeViolations(page), [], 'service with a wrong fee');
  // The town's settings: a pale colour is refused with the reason, a new coat of arms
  // is saved and shown at once.
  await page.goto(demo.url + 'verwaltung/stadt');
  await page.fill('#farbe', '#ffe066');
  await page.click('button:has-text("Speichern")');
  assert.match(await page.textContent('#fehler'), /Farbe ist zu hell/);
  assert.equal(await page.getAttribute('#farbe', 'aria-invalid'), 'true');
  assert.deepEqual(await axeViolations(page), [], 'town settings with an error');
  await page.fill('#farbe', '#004b87');
  await page.setInputFiles('#wappen', {
    name: 'wappen.svg',
    mimeType: 'image/svg+xml',
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 12"><path d="M0 0h10v6c0 3-2 5-5 6C2 11 0 9 0 6z" fill="#7a1f1f"/></svg>'),
  });
  await page.click('button:has-text("Speichern")');
  assert.match(await page.textContent('main'), /Die Angaben der Stadt sind gespeichert/);
  assert.deepEqual(await axeViolations(page), [], 'town settings saved');
  const shown = await page.request.get(demo.url + 'logo.svg');
  assert.match(await shown.text(), /#7a1f1f/);
  // A new member of staff with a form error first, then the page with the password.
  await page.goto(demo.url + 'verwaltung/personal/neu');
  await page.fill('#name', 'Nina Neu');
  await page.fill('#email', 'nina@musterstadt.example');
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('#fehler'), /mindestens eine Rolle/);
  assert.deepEqual(await axeViolations(page), [], 'new staff form with errors');
  await page.check('input[name="rollen"][value="caseworker"]');
  await page.getByLabel('Straßenverkehr und Parken').check();
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('#initial-password'), /^\S{5}-\S{5}-\S{5}-\S{5}$/);
  assert.deepEqual(await axeViolations(page), [], 'account created');
  await page.goto(demo.url + 'verwaltung/personal');
  await page.click('a:has-text("Nina Neu")');
  assert.match(await page.textContent('h1'), /Rollen und Fachdienste: Nina Neu/);
  assert.equal(await page.isChecked('input[name="rollen"][value="caseworker"]'), true);
  assert.deepEqual(await axeViolations(page), [], 'roles and departments of a member of staff');
  // A routing rule: a condition that does not fit the form is announced, a right one is
  // listed and tried out ("which department would get this?"), then deleted again.
  await page.goto(demo.url + 'verwaltung/zustaendigkeit');
  await page.selectOption('#leistung', 'bewohnerparkausweis');
  await page.fill('#bezeichnung', 'Bezirk Süd');
  await page.fill('#bedingung', 'anschrift.bezirk == "Süd"');
  await page.selectOption('#fachdienst', 'ordnung');
  await page.click('button:has-text("Regel hinzufügen")');
  assert.match(await page.textContent('#fehler'), /passt nicht zum Formular/);
  assert.deepEqual(await axeViolations(page), [], 'routing rule with a wrong condition');
  await page.fill('#bedingung', 'starts_with(anschrift.plz, "4265")');
  await page.click('button:has-text("Regel hinzufügen")');
  assert.match(await page.textContent('table'), /Bezirk Süd/);
  assert.deepEqual(await axeViolations(page), [], 'routing rules');
  await page.click('a:has-text("Welcher Fachdienst bekäme diesen Antrag?")');
  await page.selectOption('#leistung', 'bewohnerparkausweis');
  await page.click('button:has-text("Leistung wählen")');
  await page.getByLabel('Anschrift (plz)').fill('42651');
  await page.click('button:has-text("Prüfen")');
  assert.match(await page.textContent('#ergebnis'), /Ordnungsamt – nach der Regel „Bezirk Süd“/);
  assert.deepEqual(await axeViolations(page), [], 'routing trial with its result');
  await page.goto(demo.url + 'verwaltung/zustaendigkeit');
  await page.click('button:has-text("Löschen")');
  assert.match(await page.textContent('main'), /Es gibt noch keine Regeln/);
  await page.goto(demo.url + 'verwaltung/protokoll');
  mkdirSync('screenshots', { recursive: true });
  await page.screenshot({ path: 'screenshots/audit-log.png', fullPage: true });
  assert.match(await page.textContent('table'), /staff\.login/);
  await page.click('button:has-text("Abmelden")');
  assert.equal(new URL(page.url()).pathname, '/');
  await context.close();
});

test('registration errors are announced and accessible', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(demo.url + 'konto/registrieren');
  await page.fill('#email', 'erika@example.org');
  await page.fill('#password', 'passwort123');
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('.kern-alert'), /weit verbreitet/);
  assert.equal(await page.getAttribute('#password', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#email'), 'erika@example.org', 'the address is kept');
  assert.deepEqual(await axeViolations(page), []);
  await page.fill('#password', 'Laterne Fahrrad Wolke');
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/konto/registrieren/gesendet');
  await context.close();
});

test('a citizen registers, confirms, logs in and manages the account, all accessible', async () => {
  // Our pages carry no scripts; axe itself is injected through the DevTools protocol.
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  const base = demo.url.replace(/\/$/, '');
  await page.goto(`${base}/konto/registrieren`);
  await page.fill('#email', 'konto-test@example.org');
  await page.fill('#password', 'Laterne Fahrrad Wolke');
  await page.click('button[type="submit"]');
  await page.goto(await linkFromOutbox(demo.data, 'konto-test@example.org', `${base}/konto/bestaetigen/`));
  await page.goto(`${base}/konto/anmelden`);
  await page.fill('#email', 'konto-test@example.org');
  await page.fill('#password', 'Laterne Fahrrad Wolke');
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/konto');
  assert.deepEqual(await axeViolations(page), [], '/konto');

  await page.click('a[href="/konto/profil"]');
  await page.fill('#street', 'Heidestraße');
  await page.fill('#postcode', '123');
  await page.click('button[type="submit"]');
  assert.match(await page.textContent('#fehler'), /5 Ziffern/);
  assert.equal(await page.getAttribute('#postcode', 'aria-invalid'), 'true');
  assert.deepEqual(await axeViolations(page), [], 'profile form with errors');
  await page.fill('#postcode', '12345');
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/konto');
  assert.match(await page.textContent('main'), /Heidestraße/);

  for (const path of ['/konto/passwort', '/konto/email', '/konto/loeschen']) {
    await page.goto(base + path);
    assert.deepEqual(await axeViolations(page), [], path);
  }

  // An organisation: the list with an error, then its page, then acting for it.
  await page.goto(`${base}/konto/organisationen`);
  await page.click('button:has-text("Organisation anlegen")');
  assert.match(await page.textContent('#fehler'), /Namen der Organisation/);
  assert.deepEqual(await axeViolations(page), [], 'organisations with an error');
  await page.fill('#name', 'Bäckerei Korn GmbH');
  await page.click('button:has-text("Organisation anlegen")');
  assert.match(await page.textContent('h1'), /Bäckerei Korn GmbH/);
  assert.deepEqual(await axeViolations(page), [], 'organisation page');
  await page.goto(`${base}/konto/organisationen`);
  await page.check('label:has-text("Bäckerei Korn GmbH")');
  await page.click('button:has-text("Speichern")');
  assert.deepEqual(await axeViolations(page), [], 'organisations list');
  await page.goto(`${base}/konto`);
  assert.match(await page.textContent('main'), /Sie handeln gerade für: Bäckerei Korn GmbH/);
  await context.close();
});

test('a citizen logs in through the OpenID provider (eID) and finds the confirmed data', async () => {
  const base = demo.url.replace(/\/$/, '');
  const provider = await startOidcProvider(`${base}/konto/anmelden/extern/test-eid/rueckkehr`);
  try {
    rathausAdmin(demo, [
      'admin', 'add-identity-provider', '--tenant', 'musterstadt', '--slug', 'test-eid',
      '--name', 'Test-eID', '--issuer', provider.issuer, '--client-id', 'rathaus',
      '--scope', 'email', '--scope', 'profile', '--scope', 'address',
      '--acr', 'http://eidas.europa.eu/LoA/substantial=substanziell',
    ], 'rathaus-test-secret\n');
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${base}/konto/anmelden`);
    assert.deepEqual(await axeViolations(page), [], 'login page with a provider');
    await page.click('a:has-text("Mit Test-eID anmelden")');
    assert.ok(page.url().startsWith(provider.issuer), page.url());
    await page.selectOption('#person', 'erika');
    await page.click('button[type="submit"]');
    assert.equal(new URL(page.url()).pathname, '/konto');
    const main = await page.textContent('main');
    assert.match(main, /erika\.eid@example\.org/);
    assert.match(main, /durch Test-eID bestätigt/);
    await page.goto(`${base}/konto/profil`);
    assert.equal(await page.getAttribute('#family_name', 'readonly'), '');
    assert.deepEqual(await axeViolations(page), [], 'profile with confirmed data');
    await context.close();
  } finally {
    provider.stop();
  }
});

test('a member of staff logs in with the city directory; groups decide the roles', async () => {
  const base = demo.url.replace(/\/$/, '');
  const provider = await startOidcProvider(`${base}/verwaltung/anmelden/extern/stadt-login/rueckkehr`);
  try {
    const added = rathausAdmin(demo, [
      'admin', 'add-identity-provider', '--tenant', 'musterstadt', '--slug', 'stadt-login',
      '--name', 'Stadt-Login', '--issuer', provider.issuer, '--client-id', 'rathaus',
      '--scope', 'email', '--scope', 'profile', '--scope', 'groups',
      '--acr', 'http://eidas.europa.eu/LoA/substantial=substanziell', '--staff',
      '--group-role', 'rathaus-verkehr=caseworker',
      '--group-department', 'rathaus-verkehr=strassenverkehr',
    ], 'rathaus-test-secret\n');
    assert.match(added, /\/verwaltung\/anmelden\/extern\/stadt-login\/rueckkehr/);
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${base}/verwaltung/protokoll`);
    assert.equal(new URL(page.url()).pathname, '/verwaltung/anmelden');
    assert.deepEqual(await axeViolations(page), [], 'staff login page with the city login');
    await page.click('a:has-text("Anmelden mit Stadt-Login")');
    assert.ok(page.url().startsWith(provider.issuer), page.url());
    await page.selectOption('#person', 'stefan');
    await page.click('button[type="submit"]');
    // Back where he wanted to go, which his role does not allow: a clear refusal.
    assert.equal(new URL(page.url()).pathname, '/verwaltung/protokoll');
    await page.goto(`${base}/verwaltung`);
    assert.match(await page.textContent('main'), /Stefan Straße/);
    assert.match(await page.textContent('main'), /caseworker/);
    await context.close();

    // Gustav's groups grant nothing: he is told so.
    const refused = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    await refused.goto(`${base}/verwaltung/anmelden`);
    await refused.click('a:has-text("Anmelden mit Stadt-Login")');
    await refused.selectOption('#person', 'gustav');
    await refused.click('button[type="submit"]');
    assert.match(await refused.textContent('main'), /nicht freigeschaltet/);
    assert.deepEqual(await axeViolations(refused), [], 'refusal page');
    await refused.context().close();
  } finally {
    provider.stop();
  }
});
