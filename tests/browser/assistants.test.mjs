// Every form assistant of the demo town hall, in a real browser, with and without
// JavaScript: a citizen logged in with the eID (trust level "substanziell") starts it
// from the service, fills in every page up to the check-your-answers page, and axe-core
// finds no violation on any page — the start page, every step (also when it comes back
// with mistakes), the check page and the printable summary.
//
// The pages are filled in the way a person would without knowing the definitions: every
// input gets a plausible value for its kind; where the server names a mistake, the next
// plausible value is tried (a date in the future instead of the past, a number in
// another range). Fields whose answers must have a special form (FIN, eVB number,
// register numbers) have their example values below.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startDemo, launchBrowser, startOidcProvider, rathausAdmin, axeViolations, unusedTotp, letterPdf,
} from './rathaus.mjs';

const ASSISTANTS = [
  'bewohnerparkausweis', 'einbuergerung-beantragen', 'verpflichtungserklaerung',
  'beschaeftigungserlaubnis-geduldete', 'kfz-zulassung', 'kfz-ausserbetriebsetzung',
  'personenstandsurkunde-bestellen', 'geburt-anzeigen', 'eheschliessung-anmelden',
  'gewerbeanmeldung', 'bibliotheksausweis', 'jobcenter-nachweise-einreichen',
  'bauantrag-vereinfachtes-verfahren', 'roentgeneinrichtung-anzeigen',
  // A service without an assistant: the general contact form.
  'visum-verlaengern',
];

/** Answers of a special form, by field id (the last part of an input's name). */
const EXAMPLES = {
  fin: ['WVWZZZ1JZXW000001'],
  fin_ende: ['0001'],
  evb: ['A1B2C3D'],
  code_zb1: ['K7Q2M9X'],
  code_plakette_hinten: ['A1B'],
  code_plakette_vorne: ['C2D'],
  registernummer: ['HRB 12345', 'G 1234/1985'],
  bg_nummer: ['12345BG0012345'],
  kundennummer: ['123A456789'],
  bamf_aktenzeichen: ['1234567-123'],
  betriebsnummer: ['12345678'],
  geburtszeit: ['08:15'],
  gast_passnummer: ['C01X00T47'],
};

function date(daysFromToday) {
  const d = new Date(Date.now() + daysFromToday * 86_400_000);
  return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
}

const LONG_TEXT = 'Ausführliche Angabe für den Test des Antragsassistenten in Musterstadt.';
const BY_KIND = {
  text: ['Testeintrag Musterstadt', LONG_TEXT, '12'],
  textarea: [LONG_TEXT],
  number: ['2', '1', '40', '2000', '0'],
  money: ['2500', '20', '0'],
  date: ['01.01.2000', date(40), date(80), date(0)],
  email: ['erika@example.org'],
  tel: ['0212 290-0'],
  iban: ['DE02120300000000202051'],
  registration: ['SG-AB 123'],
  postcode: ['42651'],
};
const ADDRESS = { strasse: 'Teststraße', hausnummer: '1', plz: '42651', ort: 'Musterstadt' };

let demo;
let browser;
let provider;
let files;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  const base = demo.url.replace(/\/$/, '');
  provider = await startOidcProvider(`${base}/konto/anmelden/extern/test-eid/rueckkehr`);
  rathausAdmin(demo, [
    'admin', 'add-identity-provider', '--tenant', 'musterstadt', '--slug', 'test-eid',
    '--name', 'Test-eID', '--issuer', provider.issuer, '--client-id', 'rathaus',
    '--scope', 'email', '--scope', 'profile', '--scope', 'address',
    '--acr', 'http://eidas.europa.eu/LoA/substantial=substanziell',
  ], 'rathaus-test-secret\n');
  files = mkdtempSync(join(tmpdir(), 'rathaus-uploads-'));
  writeFileSync(join(files, 'nachweis.pdf'), '%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  // The smallest PNG: one transparent pixel.
  writeFileSync(join(files, 'foto.png'), Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
});

after(async () => {
  await browser?.close();
  provider?.stop();
  await demo?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

/** Logs in with the eID in a fresh context; `javaScriptEnabled` as asked. */
async function eidSession(javaScriptEnabled) {
  const context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled });
  const page = await context.newPage();
  // A step that waits for something that never comes fails with its locator.
  page.setDefaultTimeout(15_000);
  const base = demo.url.replace(/\/$/, '');
  await page.goto(`${base}/konto/anmelden`);
  await page.click('a:has-text("Mit Test-eID anmelden")');
  await page.selectOption('#person', 'erika');
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/konto');
  return { context, page, base };
}

/** Fills every input of the step form that is editable; `attempt` picks, per input id,
 *  which plausible value to try. */
async function fillStep(page, attempt, javaScriptEnabled) {
  // With JavaScript, answers can reveal more fields: fill until nothing new appears.
  for (let pass = 0; pass < 5; pass++) {
    const filled = await fillVisible(page, attempt, pass > 0);
    if (!javaScriptEnabled || filled === 0) return;
    await page.waitForTimeout(300);
  }
}

/** Runs an action on an input; if the input was hidden meanwhile (an answer just given
 *  made it not apply), that is no failure. */
async function tolerant(page, id, action) {
  try {
    await action();
  } catch (e) {
    if (await page.locator(`#${id}`).isVisible()) throw e;
  }
}

async function fillVisible(page, attempt, onlyEmpty) {
  const inputs = await page.$$eval('form [data-kind]', (elements) => elements
    // Fields hidden because they do not apply (JavaScript on) are left alone.
    .filter((e) => e.closest('[hidden]') === null)
    .map((e) => ({
      id: e.id, name: e.name, kind: e.dataset.kind, type: e.type, readonly: e.readOnly,
      accept: e.accept ?? '', value: e.value, checked: e.checked ?? false,
    })));
  let filled = 0;
  const ticked = new Set();
  for (const input of inputs) {
    if (input.readonly) continue;
    // An earlier answer on this page may just have hidden it (JavaScript on).
    if (input.kind !== 'file' && !(await page.locator(`#${input.id}`).isVisible())) continue;
    const field = input.name.split('.').at(-1);
    const n = attempt.get(input.id) ?? 0;
    if (input.kind === 'file') {
      const name = input.accept.includes('application/pdf') || input.accept === '' ? 'nachweis.pdf' : 'foto.png';
      const uploaded = (await page.$$(`input[type=hidden][name="${input.name}"]`)).length > 0;
      if (!uploaded && !input.value) {
        await page.setInputFiles(`#${input.id}`, join(files, name));
        filled++;
      }
    } else if (input.type === 'radio') {
      // The first answer of each question (once per name).
      if (!ticked.has(input.name)) {
        const already = inputs.some((i) => i.name === input.name && i.checked);
        if (!already) {
          await tolerant(page, input.id, () => page.check(`#${input.id}`, { timeout: 4000 }));
          filled++;
        }
        ticked.add(input.name);
      }
    } else if (input.type === 'checkbox') {
      if (!input.checked && (input.kind === 'consent' || !ticked.has(input.name))) {
        await tolerant(page, input.id, () => page.check(`#${input.id}`, { timeout: 4000 }));
        filled++;
      }
      ticked.add(input.name);
    } else if (input.kind === 'select') {
      if (onlyEmpty && input.value) continue;
      const options = await page.$$eval(`#${input.id} option`, (os) => os.map((o) => o.value).filter(Boolean));
      await tolerant(page, input.id, () => page.selectOption(`#${input.id}`, options[Math.min(n, options.length - 1)], { timeout: 4000 }));
      filled++;
    } else if (input.kind === 'address') {
      const part = input.name.split('.').at(-1);
      if (!input.value) {
        await tolerant(page, input.id, () => page.fill(`#${input.id}`, ADDRESS[part], { timeout: 4000 }));
        filled++;
      }
    } else {
      const choices = EXAMPLES[field] ?? BY_KIND[input.kind] ?? BY_KIND.text;
      if (!input.value || (attempt.has(input.id) && !onlyEmpty)) {
        await tolerant(page, input.id, () => page.fill(`#${input.id}`, choices[Math.min(n, choices.length - 1)], { timeout: 4000 }));
        filled++;
      }
    }
  }
  return filled;
}

/** Checks the page with axe-core; `what` names it in the failure. axe-core needs
 *  timers, which do not run where JavaScript is off: there the page as the browser got
 *  it is checked in a second tab with JavaScript (same URL, same styles). */
async function accessible(page, what, javaScriptEnabled) {
  let checked = page;
  if (!javaScriptEnabled) {
    const html = await page.content();
    const url = page.url();
    checked = await browser.newPage({ locale: 'de-DE' });
    await checked.route(url, (route) => route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' }));
    await checked.goto(url);
  }
  try {
    assert.deepEqual(await axeViolations(checked), [], `${what}: ${page.url()}`);
  } finally {
    if (checked !== page) await checked.close();
  }
}

/** From the service's page through every step to the check page; returns the steps
 *  seen. */
async function fillToCheck(page, base, service, javaScriptEnabled) {
  await page.goto(`${base}/leistungen/${service}`);
  await page.click(`a[href="/antrag/${service}"]`);
  await accessible(page, 'start page', javaScriptEnabled);
  await page.click('button:has-text("Antrag starten")');
  const seen = [];
  for (let pages = 0; pages < 40; pages++) {
    const path = new URL(page.url()).pathname;
    if (path.endsWith('/pruefen')) break;
    assert.match(path, /\/schritt\//, `expected a step, got ${path}`);
    if (!seen.includes(path)) {
      seen.push(path);
      await accessible(page, 'step', javaScriptEnabled);
    }
    const attempt = new Map();
    for (let round = 0; ; round++) {
      await fillStep(page, attempt, javaScriptEnabled);
      await page.click('.rathaus-actions button[type="submit"]:not([name])');
      const summary = await page.$$eval('#fehler a', (links) => links.map((a) => [a.getAttribute('href').slice(1), a.textContent]));
      if (summary.length === 0) break;
      if (round === 0) await accessible(page, 'step with mistakes', javaScriptEnabled);
      assert.ok(round < 6, `${path} keeps failing: ${summary.map(([, m]) => m).join(' | ')}`);
      for (const [id] of summary) attempt.set(id, (attempt.get(id) ?? 0) + 1);
    }
  }
  assert.match(new URL(page.url()).pathname, /\/pruefen$/);
  const check = await page.textContent('main');
  assert.match(check, /Prüfen Sie Ihre Angaben/);
  assert.doesNotMatch(check, /noch nicht vollständig/, 'every step is complete');
  assert.ok((await page.$$('a:has-text("Ändern")')).length >= 3, 'a change link per answer');
  await accessible(page, 'check page', javaScriptEnabled);
  return seen.length;
}

async function fillIn(service, javaScriptEnabled) {
  const { context, page, base } = await eidSession(javaScriptEnabled);
  try {
    const steps = await fillToCheck(page, base, service, javaScriptEnabled);
    await page.click('a:has-text("Zusammenfassung zum Drucken")');
    await accessible(page, 'printable summary', javaScriptEnabled);
    return steps;
  } finally {
    await context.close();
  }
}

for (const javaScriptEnabled of (process.env.ONLY_NOJS ? [false] : [true, false])) {
  for (const service of ASSISTANTS) {
    test(`${service}: filled in to the check page ${javaScriptEnabled ? 'with' : 'without'} JavaScript, accessible on every page`, async () => {
      const steps = await fillIn(service, javaScriptEnabled);
      assert.ok(steps >= 2, `${steps} steps`);
    });
  }
}

test('with JavaScript, a field appears only when an answer on its page calls for it', async () => {
  for (const javaScriptEnabled of [true, false]) {
    const { context, page, base } = await eidSession(javaScriptEnabled);
    try {
      await page.goto(`${base}/antrag/bewohnerparkausweis`);
      await page.click('button:has-text("Antrag starten")');
      await page.check('#f-hauptwohnsitz-0');
      await page.click('.rathaus-actions button[type="submit"]:not([name])');
      assert.match(page.url(), /\/schritt\/fahrzeug$/);
      const proof = page.locator('#f-nachweis_nutzung');
      if (javaScriptEnabled) {
        await proof.waitFor({ state: 'hidden' });
        await page.check('#f-halter-1');
        await proof.waitFor({ state: 'visible' });
        await accessible(page, 'revealed field', true);
        await page.check('#f-halter-0');
        await proof.waitFor({ state: 'hidden' });
      } else {
        assert.ok(await proof.isVisible(), 'without JavaScript the field is offered');
      }
    } finally {
      await context.close();
    }
  }
});

/** A member of staff of the demo, logged in with password and code. */
async function staffSession(email, password, secret, javaScriptEnabled = true) {
  const context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const base = demo.url.replace(/\/$/, '');
  await page.goto(`${base}/verwaltung/anmelden`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type="submit"]');
  await page.fill('#code', await unusedTotp(secret));
  await page.click('button[type="submit"]');
  assert.equal(new URL(page.url()).pathname, '/verwaltung');
  return { context, page, base };
}

/** The traffic department's caseworker. */
const caseworkerSession = () =>
  staffSession('verkehr@musterstadt.example', 'Demo-Verkehr-2026', 'DEMOVERKEHRMUSTERSTADTZWEIFAKTOR');

/** The mailroom, without JavaScript. */
const mailroomSession = () =>
  staffSession('post@musterstadt.example', 'Demo-Post-2026', 'DEMOPOSTSTELLEMUSTERSTADTZWEIFAK', false);

/** Takes a step of the workflow on the open case page. */
async function takeStep(page, step, message) {
  await page.check(`#schritt-${step}`);
  await page.fill('#nachricht', message);
  await page.click('button:has-text("Schritt ausführen")');
}

test('a fee set with the decision is paid online from the application page, and then the case closes (no JavaScript for the citizen)', async () => {
  const citizen = await eidSession(false);
  const staff = await caseworkerSession();
  try {
    const { page, base } = citizen;
    await fillToCheck(page, base, 'sondernutzung-baustelle', false);
    assert.match(await page.textContent('#gebuehr'), /mit der Entscheidung festgesetzt/);
    await page.click('button:has-text("Antrag verbindlich absenden")');
    const own = new URL(page.url()).pathname;
    const reference = own.match(/\/konto\/antraege\/(MS-\d{4}-[2-9A-HJ-NP-Z]{5})$/)?.[1];
    assert.ok(reference, `confirmation at ${page.url()}`);

    // The caseworker approves and sets the fee; without an amount the step says so.
    const vera = staff.page;
    await vera.goto(`${staff.base}/verwaltung/vorgaenge/${reference}`);
    await vera.click('button:has-text("Vorgang übernehmen")');
    await takeStep(vera, 'pruefen', '');
    await takeStep(vera, 'bewilligen', 'Sie dürfen das Gerüst aufstellen.');
    await vera.fill('#gebuehr', '');
    await takeStep(vera, 'gebuehr_festsetzen', 'Für das Gerüst setzen wir die Gebühr fest.');
    assert.match(await vera.textContent('#fehler'), /Gebühr als Betrag in Euro/);
    await accessible(vera, 'fee step without an amount', true);
    await vera.fill('#gebuehr', '84,00');
    await takeStep(vera, 'gebuehr_festsetzen', 'Für das Gerüst setzen wir die Gebühr fest.');
    assert.match(await vera.textContent('main'), /Gebühren\s*84,00 Euro: offen/);
    await takeStep(vera, 'abschliessen', '');
    assert.match(await vera.textContent('#fehler'), /noch nicht bezahlt/);

    // The applicant pays it on the application's page: a failed try, then paid.
    await page.goto(`${base}${own}`);
    assert.match(await page.textContent('#gebuehren ~ dl'), /84,00 Euro[\s\S]*offen, zu zahlen bis zum/);
    await accessible(page, 'application with an open fee', false);
    await page.click('button:has-text("84,00 Euro online bezahlen")');
    assert.match(new URL(page.url()).pathname, /^\/sandbox\/bezahlen\//);
    await page.click('button[value="fehlschlagen"]');
    assert.match(new URL(page.url()).search, /zahlung=fehlgeschlagen/);
    assert.match(await page.textContent('main'), /Die Zahlung ist fehlgeschlagen/);
    await page.click('button:has-text("84,00 Euro online bezahlen")');
    await page.click('button[value="bezahlen"]');
    assert.match(new URL(page.url()).search, /zahlung=bezahlt/);
    const paid = await page.textContent('main');
    assert.match(paid, /Ihre Zahlung ist eingegangen/);
    assert.match(paid, /bezahlt am/);
    assert.match(paid, /Zahlungsbestätigung[\s\S]*84,00 Euro/);
    assert.equal(await page.locator('button:has-text("online bezahlen")').count(), 0);
    await accessible(page, 'application with the fee paid', false);

    // Paid: the case closes.
    await vera.goto(`${staff.base}/verwaltung/vorgaenge/${reference}`);
    await takeStep(vera, 'abschliessen', '');
    assert.match(await vera.textContent('main'), /Abgeschlossen/);
  } finally {
    await citizen.context.close();
    await staff.context.close();
  }
});

test('the journey: a parking permit is sent, routed, documents are asked for and sent (online and on paper), and it is approved (no JavaScript for the citizen and the mailroom)', async () => {
  const citizen = await eidSession(false);
  const staff = await caseworkerSession();
  const mailroom = await mailroomSession();
  try {
    const { page, base } = citizen;
    await fillToCheck(page, base, 'bewohnerparkausweis', false);
    // The fee is paid first, in the sandbox payment service: a failed try changes
    // nothing and says so; the second try pays and sends the application.
    assert.match(await page.textContent('#gebuehr'), /Zu zahlende Gebühr\s*\d+,\d\d Euro/);
    await page.click('button:has-text("bezahlen und Antrag absenden")');
    assert.match(new URL(page.url()).pathname, /^\/sandbox\/bezahlen\//);
    await accessible(page, 'sandbox payment page', false);
    await page.click('button[value="fehlschlagen"]');
    assert.match(new URL(page.url()).search, /zahlung=fehlgeschlagen/);
    assert.match(await page.textContent('#zahlung-hinweis'), /fehlgeschlagen\. Es wurde nichts abgebucht/);
    await accessible(page, 'check page after a failed payment', false);
    await page.click('button:has-text("bezahlen und Antrag absenden")');
    await page.click('button[value="bezahlen"]');
    const own = new URL(page.url()).pathname;
    const reference = own.match(/\/konto\/antraege\/(MS-\d{4}-[2-9A-HJ-NP-Z]{5})$/)?.[1];
    assert.ok(reference, `confirmation at ${page.url()}`);
    assert.match(await page.textContent('main'), /Ihr Antrag ist eingegangen/);
    await accessible(page, 'confirmation', false);

    // Finance staff see the payment with its booking reference and export it.
    const finance = await staffSession('finanzen@musterstadt.example', 'Demo-Finanzen-2026', 'DEMOFINANZENMUSTERSTADTZWEIFAKTO');
    try {
      await finance.page.goto(`${finance.base}/verwaltung/zahlungen`);
      const rows = finance.page.locator('#zahlungen tr', { hasText: reference });
      assert.equal(await rows.count(), 2, 'the failed try and the payment');
      const paid = rows.filter({ hasText: 'bezahlt' });
      assert.match(await paid.textContent(), /KZ-\d{4}-\d{4}-\d{4}/);
      await accessible(finance.page, 'payments', true);
      const csv = await finance.page.request.get(`${finance.base}/verwaltung/zahlungen.csv`);
      assert.equal(csv.headers()['content-type'], 'text/csv; charset=utf-8');
      assert.match(await csv.text(), new RegExp(`;${reference};\\d+,\\d\\d;EUR;paid;CREDITCARD;KZ-`));
      // A refund of part of it, with its reason; a refund without one is refused.
      await paid.locator('a:has-text("Erstattung erfassen")').click();
      await accessible(finance.page, 'refund page', true);
      await finance.page.fill('#betrag', '10,00');
      await finance.page.click('button:has-text("Erstattung erfassen")');
      assert.match(await finance.page.textContent('#fehler'), /Grund der Erstattung/);
      await accessible(finance.page, 'refund without a reason', true);
      await finance.page.fill('#grund', 'Zweites Fahrzeug entfällt');
      await finance.page.click('button:has-text("Erstattung erfassen")');
      assert.match(await finance.page.textContent('main'), /Die Erstattung ist erfasst[\s\S]*10,00 Euro – Zweites Fahrzeug entfällt/);
      await finance.page.goto(`${finance.base}/verwaltung/zahlungen`);
      assert.match(await finance.page.textContent('#erstattet'), /Davon erstattet: 10,00 Euro/);
    } finally {
      await finance.context.close();
    }

    // The traffic department finds it among the new cases and asks for a document.
    const vera = staff.page;
    await vera.goto(`${staff.base}/verwaltung/vorgaenge`);
    await accessible(vera, 'inbox', true);
    await vera.click(`a:has-text("${reference}")`);
    assert.match(await vera.textContent('main'), /SG-AB 123|Kennzeichen/);
    await accessible(vera, 'case', true);
    // An internal note for colleagues; the applicant never sees it.
    await vera.fill('#notiz', 'Halterin hat angerufen, Fahrzeugschein folgt.');
    await vera.click('button:has-text("Notiz speichern")');
    assert.match(await vera.textContent('main'), /Interne Notiz: Halterin hat angerufen, Fahrzeugschein folgt\./);
    await vera.click('button:has-text("Vorgang übernehmen")');
    await takeStep(vera, 'nachfordern', '');
    assert.match(await vera.textContent('#fehler'), /Schreiben Sie der antragstellenden Person/);
    await accessible(vera, 'case step with a mistake', true);
    await takeStep(vera, 'nachfordern', 'Bitte senden Sie uns den Fahrzeugschein.');
    // The workflow gives the applicant 14 days and brings the case back on that day.
    assert.match(await vera.textContent('main'), /Antwort der antragstellenden Person erbeten bis \d\d\.\d\d\.\d{4}/);
    await accessible(vera, 'case with a reminder', true);

    // The applicant reads it in the postbox and answers with the document.
    await page.goto(`${base}${own}`);
    assert.match(await page.textContent('main'), /Unterlagen nachgefordert[\s\S]*Fahrzeugschein/);
    assert.match(await page.textContent('main'), /Bitte antworten Sie bis zum \d\d\.\d\d\.\d{4}\./);
    assert.doesNotMatch(await page.textContent('main'), /Halterin hat angerufen/);
    await accessible(page, 'case with a request', false);
    await page.fill('#nachricht', 'Anbei der Fahrzeugschein.');
    await page.setInputFiles('#dateien', join(files, 'nachweis.pdf'));
    await page.click('button:has-text("Nachricht senden")');
    assert.match(await page.textContent('main'), /Ihre Nachricht ist angekommen/);
    await accessible(page, 'answer sent', false);

    // The applicant's letter on paper arrives too: the mailroom scans it in, the
    // reference in it proposes the case, and it is filed there.
    const letter = join(files, 'brief.pdf');
    writeFileSync(letter, letterPdf([
      'Erika Mustermann, Heidestrasse 17, 42651 Musterstadt', '',
      `Ihr Zeichen: ${reference}`, '',
      'Sehr geehrte Damen und Herren,',
      'den Fahrzeugschein sende ich zusaetzlich per Post.',
    ]));
    const post = mailroom.page;
    await post.goto(`${mailroom.base}/verwaltung/poststelle`);
    await accessible(post, 'mailroom', false);
    await post.setInputFiles('#scans', letter);
    await post.click('button:has-text("Einlesen")');
    assert.match(await post.textContent('main'), /1 Schreiben eingelesen/);
    for (let i = 0; i < 60 && !(await post.textContent('main')).includes(`Vorgang ${reference}`); i++) {
      await new Promise((r) => setTimeout(r, 500));
      await post.goto(`${mailroom.base}/verwaltung/poststelle`);
    }
    await accessible(post, 'mailroom with a letter to file', false);
    await post.click('a:has-text("brief.pdf")');
    assert.equal(await post.inputValue('#aktenzeichen'), reference);
    assert.match(await post.textContent('main'), /Fahrzeugschein/);
    await accessible(post, 'letter to file', false);
    await post.click('button:has-text("Zuordnen")');
    assert.match(await post.textContent('main'), new RegExp(`liegt jetzt im Vorgang ${reference}`));

    // The caseworker sees the document and the letter, and approves.
    await vera.goto(`${staff.base}/verwaltung/vorgaenge/${reference}`);
    assert.match(await vera.textContent('main'), /Anbei der Fahrzeugschein[\s\S]*nachweis\.pdf/);
    assert.match(await vera.textContent('main'), /Eingescannte Schreiben[\s\S]*brief\.pdf/);
    await takeStep(vera, 'bearbeiten', '');
    // The permit names its zone: without one the step is refused and says so.
    await takeStep(vera, 'bewilligen', 'Ihr Bewohnerparkausweis ist bewilligt.');
    assert.match(await vera.textContent('#fehler'), /Parkzone an/);
    await accessible(vera, 'approval without a zone', true);
    await vera.fill('#zone', 'B – Altstadt');
    await takeStep(vera, 'bewilligen', 'Ihr Bewohnerparkausweis ist bewilligt.');
    assert.match(await vera.textContent('main'), /Bewilligt/);
    assert.match(await vera.textContent('main'), /Ausgestellte Schreiben[\s\S]*ins Postfach gestellt/);

    // The applicant sees the decision and the status, and the signed permit with it.
    await page.goto(`${base}/konto/antraege`);
    assert.match(await page.textContent('main'), new RegExp(`${reference}[\\s\\S]*Bewilligt`));
    await accessible(page, 'my applications', false);
    await page.click(`a:has-text("Bewohnerparkausweis")`);
    assert.match(await page.textContent('main'), /Ihr Bewohnerparkausweis ist bewilligt/);
    const permitLink = page.locator(`a[href*="/dateien/"]:has-text("parking-permit-${reference}.pdf")`);
    const permit = await page.request.get(new URL(await permitLink.getAttribute('href'), page.url()).href);
    assert.equal(permit.headers()['content-type'], 'application/pdf');
    const pdf = await permit.body();

    // Its QR code, read off the printed page, leads to the page that says "valid".
    const scratch = mkdtempSync(join(tmpdir(), 'rathaus-permit-'));
    try {
      writeFileSync(join(scratch, 'permit.pdf'), pdf);
      execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', 'permit.pdf', 'page'], { cwd: scratch });
      const link = execFileSync('zbarimg', ['--quiet', '--raw', 'page.png'], { cwd: scratch }).toString().trim();
      assert.match(link, /\/verify\/[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
      await page.goto(link);
      assert.match(await page.textContent('#ergebnis'), /Gültig/);
      assert.match(await page.textContent('main'), /Bewohnerparkausweis/);
      await accessible(page, 'verification page', false);
      // A copy with one byte changed is rejected.
      const tampered = Buffer.from(pdf);
      tampered[Math.floor(tampered.length / 2)] ^= 1;
      await page.setInputFiles('#datei', { name: 'ausweis.pdf', mimeType: 'application/pdf', buffer: tampered });
      await page.click('button:has-text("Datei vergleichen")');
      assert.match(await page.textContent('#datei-ergebnis'), /stimmt nicht überein/);
      await page.setInputFiles('#datei', { name: 'ausweis.pdf', mimeType: 'application/pdf', buffer: pdf });
      await page.click('button:has-text("Datei vergleichen")');
      assert.match(await page.textContent('#datei-ergebnis'), /unverändert/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    // A request by phone is taken down by hand; a missing name is announced first.
    await vera.goto(`${staff.base}/verwaltung/vorgaenge/neu`);
    await vera.selectOption('#leistung', 'bewohnerparkausweis');
    await vera.selectOption('#kanal', 'telefon');
    await vera.click('button:has-text("Vorgang anlegen")');
    assert.match(await vera.textContent('#fehler'), /Namen der antragstellenden Person/);
    await accessible(vera, 'new case with a mistake', true);
    await vera.fill('#name', 'Max Muster');
    await vera.click('button:has-text("Vorgang anlegen")');
    assert.match(await vera.textContent('main'), /Von Hand angelegt: Telefon/);
    await accessible(vera, 'case made by hand', true);
  } finally {
    await citizen.context.close();
    await staff.context.close();
    await mailroom.context.close();
  }
});
