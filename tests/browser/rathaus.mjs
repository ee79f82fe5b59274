// Shared helpers of the browser tests: start a real `rathaus demo`, open Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function rathausBinary() {
  return process.env.RATHAUS_BIN ?? join(root, 'target', 'debug', 'rathaus');
}

/** The database the demo runs on: its own SQLite file in the data folder, or, with
 *  RATHAUS_BROWSER_DATABASE=postgres, a fresh PostgreSQL database (on the server named by
 *  RATHAUS_TEST_PG_URL, like the Rust tests) that is dropped again when the demo stops. */
function demoDatabase(data) {
  if (process.env.RATHAUS_BROWSER_DATABASE !== 'postgres') {
    return { url: `sqlite://${join(data, 'rathaus.db')}`, args: [], drop() {} };
  }
  const admin = process.env.RATHAUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `rathaus_browser_${Date.now()}_${process.pid}`;
  execFileSync('psql', [admin, '-qc', `CREATE DATABASE ${name}`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    args: ['--database-url', url.toString()],
    drop() {
      execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    },
  };
}

/** Starts the demo town hall on a free port; resolves with its URL, its data folder,
 *  its database URL and a stop function. */
export async function startDemo() {
  const data = mkdtempSync(join(tmpdir(), 'rathaus-browser-'));
  const database = demoDatabase(data);
  const child = spawn(
    rathausBinary(),
    ['demo', '--listen', '127.0.0.1:0', '--data', data, ...database.args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = line.match(/(http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`rathaus demo exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url,
    data,
    databaseUrl: database.url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      database.drop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The axe-core violations of the WCAG 2.1 A/AA rules (and best practices) on the page. */
export async function axeViolations(page) {
  // evaluate() runs through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
}

/** Debian's Chromium, headless, without any network access beyond localhost. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // The demo's registered host name, for what needs a domain (passkeys).
      '--host-resolver-rules=MAP musterstadt.localhost 127.0.0.1',
    ],
  });
}

function quotedPrintable(text) {
  const joined = text.replace(/=\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The mails the demo wrote to its outbox folder: lower-cased headers, decoded text. */
function outboxMails(data) {
  const dir = join(data, 'mail-outbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => {
    const raw = readFileSync(join(dir, name), 'utf8').replace(/\r\n/g, '\n');
    const split = raw.indexOf('\n\n');
    const headers = raw.slice(0, split).toLowerCase();
    const body = raw.slice(split + 2);
    if (headers.includes('content-transfer-encoding: base64')) {
      return { headers, text: Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') };
    }
    if (headers.includes('content-transfer-encoding: quoted-printable')) {
      return { headers, text: quotedPrintable(body) };
    }
    return { headers, text: body };
  });
}

/** Waits for a mail to `to` in the demo's outbox with a link starting with `prefix`;
 *  returns the link. */
export async function linkFromOutbox(data, to, prefix) {
  for (let i = 0; i < 100; i++) {
    for (const mail of outboxMails(data).filter((m) => m.headers.includes(`to: ${to}`))) {
      const link = mail.text.split(/\s+/).find((word) => word.startsWith(prefix));
      if (link) return link;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${to} with a link starting ${prefix}`);
}

/** The TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) an authenticator app shows for a
 *  base32 secret at `unixSeconds`. */
function totp(secret, unixSeconds = Math.floor(Date.now() / 1000)) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/\s+/g, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

/** Steps whose code this process has already typed, per secret. */
const typedSteps = new Map();

/** A TOTP code for `secret` that the server has not seen yet. Rathaus accepts each code
 *  once (replay protection), so when two logins of the same person fall into one 30 s
 *  step, the second waits for the next step instead of being refused. */
export async function unusedTotp(secret) {
  let step = Math.floor(Date.now() / 30_000);
  const last = typedSteps.get(secret);
  if (last !== undefined && step <= last) {
    await new Promise((resolve) => setTimeout(resolve, (last + 1) * 30_000 - Date.now() + 50));
    step = Math.floor(Date.now() / 30_000);
  }
  typedSteps.set(secret, step);
  return totp(secret, step * 30);
}

/** Starts the test OpenID provider (`oidc-provider.mjs`) on a free port; resolves with
 *  its issuer URL and a stop function. */
export async function startOidcProvider(redirectUri) {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [join(root, 'tests', 'browser', 'oidc-provider.mjs')], {
    env: { ...process.env, PORT: String(port), REDIRECT_URIS: redirectUri },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const issuer = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(line.slice('ready '.length));
    });
    child.on('exit', (code) => reject(new Error(`the OpenID provider exited with ${code}`)));
  });
  return { issuer, stop: () => child.kill('SIGTERM') };
}

/** Runs `rathaus` with arguments and standard input against the demo's database and
 *  data folder (whose `secret.key` seals the secrets the database keeps). */
export function rathausAdmin(demo, args, input) {
  return execFileSync(rathausBinary(), args, {
    input,
    env: { ...process.env, RATHAUS_DATABASE_URL: demo.databaseUrl, RATHAUS_DATA_DIR: demo.data },
  }).toString();
}

/** A one-page A4 letter as PDF with these lines in Helvetica, as an office program
 *  writes it (the mailroom renders and reads it like any scan). */
export function letterPdf(lines) {
  const escaped = lines.map((l) => `(${l.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)')}) Tj T*`);
  const content = ['BT /F1 12 Tf 72 770 Td 16 TL', ...escaped, 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((object, i) => {
    const at = Buffer.byteLength(pdf, 'latin1');
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
