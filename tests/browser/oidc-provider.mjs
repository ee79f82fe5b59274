// A real OpenID Connect provider for the tests (npm `oidc-provider`), standing in for
// BundID or a state account behind a Keycloak bridge, and for the city's own staff
// directory. It knows people whose eID logins reached different levels of assurance
// (`acr`), one with an `acr` nobody maps, people behind a bridge with claims of its own,
// and staff with their directory groups. The login page is a plain form: pick the
// person, submit.
//
// Usage: node oidc-provider.mjs   (env: PORT (required), CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS comma-separated)
// Prints "ready <issuer>" when it listens.
import http from 'node:http';
import { createSign, generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
if (!port) throw new Error('set PORT: the issuer URL must be known before listening');
const issuer = `http://127.0.0.1:${port}`;

export const PEOPLE = {
  erika: {
    acr: 'http://eidas.europa.eu/LoA/substantial',
    claims: {
      email: 'erika.eid@example.org', email_verified: true,
      given_name: 'Erika', family_name: 'Mustermann', birthdate: '1964-08-12',
      address: { street_address: 'Heidestraße 17', postal_code: '51147', locality: 'Köln' },
    },
  },
  max: {
    acr: 'http://eidas.europa.eu/LoA/low',
    claims: { email: 'max.eid@example.org', email_verified: true, given_name: 'Max', family_name: 'Muster' },
  },
  hanna: {
    acr: 'http://eidas.europa.eu/LoA/high',
    claims: { email: 'hanna.eid@example.org', email_verified: true, given_name: 'Hanna', family_name: 'Hoch' },
  },
  // Eve's ID token is altered on its way out (the payload claims to be Erika, the
  // signature stays Eve's): the relying party must notice.
  eve: {
    acr: 'http://eidas.europa.eu/LoA/substantial',
    claims: { email: 'eve@example.org', email_verified: true, given_name: 'Eve', family_name: 'Y' },
  },
  // ID tokens made wrong on their way out, each in one way: signed with a key that is
  // not the provider's (Trudy), not signed at all (Oscar, alg none), and validly signed
  // by the provider but with another nonce (Nora), issuer (Ian) or audience (Audrey).
  // Rita's token is signed anew with the provider's key, unchanged: the control that
  // shows the re-signing itself is sound, so that the others fail for their one change.
  rita: { acr: 'http://eidas.europa.eu/LoA/substantial', claims: { email: 'rita@example.org', email_verified: true, given_name: 'Rita', family_name: 'R' } },
  trudy: { acr: 'http://eidas.europa.eu/LoA/substantial', claims: { email: 'trudy@example.org', email_verified: true } },
  oscar: { acr: 'http://eidas.europa.eu/LoA/substantial', claims: { email: 'oscar@example.org', email_verified: true } },
  nora: { acr: 'http://eidas.europa.eu/LoA/substantial', claims: { email: 'nora@example.org', email_verified: true } },
  ian: { acr: 'http://eidas.europa.eu/LoA/substantial', claims: { email: 'ian@example.org', email_verified: true } },
  audrey: { acr: 'http://eidas.europa.eu/LoA/substantial', claims: { email: 'audrey@example.org', email_verified: true } },
  mallory: {
    acr: 'urn:example:unknown-level',
    claims: { email: 'mallory@example.org', email_verified: true, given_name: 'Mallory', family_name: 'X' },
  },
  // People behind a BundID bridge that passes on what it received under its own names:
  // the level of assurance in `trustLevel` (their `acr` says little), the identity data
  // under SAML attribute names and in a German address object. Bernd's level is one the
  // city maps, Bianca's is not.
  bernd: {
    acr: 'http://eidas.europa.eu/LoA/low',
    claims: {
      email: 'bernd@example.org', email_verified: true, trustLevel: 'STORK-QAA-Level-4',
      'urn:oid:2.5.4.42': 'Bernd', 'urn:oid:2.5.4.4': 'Brückner', geburtsdatum: '03.02.1971',
      postanschrift: { strasse: 'Lindenweg', hausnummer: '5b', plz: '42651', ort: 'Solingen' },
    },
  },
  bianca: {
    acr: 'http://eidas.europa.eu/LoA/substantial',
    claims: { email: 'bianca@example.org', email_verified: true, trustLevel: 'STORK-QAA-Level-1' },
  },
  // Staff of the city, as its own directory (Keycloak) knows them: groups decide the
  // roles. Stefan logged in with the directory's second factor, Berta with a password
  // only, Gustav is in no group that grants anything in the town hall.
  stefan: {
    acr: 'http://eidas.europa.eu/LoA/substantial',
    claims: {
      email: 'stefan.strasse@musterstadt.example', email_verified: true,
      given_name: 'Stefan', family_name: 'Straße', groups: ['rathaus-verkehr'],
    },
  },
  berta: {
    acr: 'http://eidas.europa.eu/LoA/low',
    claims: {
      email: 'berta.admin@musterstadt.example', email_verified: true,
      given_name: 'Berta', family_name: 'Admin', groups: ['rathaus-admins', 'alle'],
    },
  },
  gustav: {
    acr: 'http://eidas.europa.eu/LoA/substantial',
    claims: {
      email: 'gustav@musterstadt.example', email_verified: true,
      given_name: 'Gustav', family_name: 'Gast', groups: ['kantine'],
    },
  },
};

// The provider's signing key is made here, so that the tests can sign tokens with it;
// Trudy's token is signed with another one.
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const KID = 'test-signing-key';

const provider = new Provider(issuer, {
  jwks: { keys: [{ ...signingKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] },
  clients: [{
    client_id: process.env.CLIENT_ID ?? 'rathaus',
    client_secret: process.env.CLIENT_SECRET ?? 'rathaus-test-secret',
    redirect_uris: (process.env.REDIRECT_URIS ?? '').split(',').filter(Boolean),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  acrValues: [...new Set(Object.values(PEOPLE).map((p) => p.acr))],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'birthdate'],
    address: ['address'],
    groups: ['groups'],
    bundid: ['trustLevel', 'urn:oid:2.5.4.42', 'urn:oid:2.5.4.4', 'geburtsdatum', 'postanschrift'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['only-for-tests-not-a-secret'] },
  async findAccount(_ctx, id) {
    const person = PEOPLE[id];
    if (!person) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...person.claims }) };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});
provider.proxy = false;

const encode = (part) => Buffer.from(JSON.stringify(part)).toString('base64url');

function signed(header, claims, key) {
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key, 'base64url')}`;
}

/** How each of the altered people's ID token is changed (header, claims, signature). */
const ALTERED = {
  eve: (header, claims, signature) => `${encode(header)}.${encode({ ...claims, sub: 'erika' })}.${signature}`,
  rita: (header, claims) => signed(header, claims, signingKey),
  trudy: (header, claims) => signed(header, claims, foreignKey),
  oscar: (_header, claims) => `${encode({ alg: 'none' })}.${encode(claims)}.`,
  nora: (header, claims) => signed(header, { ...claims, nonce: 'another-nonce' }, signingKey),
  ian: (header, claims) => signed(header, { ...claims, iss: 'http://127.0.0.1:1' }, signingKey),
  audrey: (header, claims) => signed(header, { ...claims, aud: 'another-client' }, signingKey),
};

provider.use(async (ctx, next) => {
  await next();
  const idToken = ctx.path === '/token' && ctx.body?.id_token;
  if (!idToken) return;
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const alter = ALTERED[claims.sub];
  if (!alter) return;
  const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString());
  ctx.body = { ...ctx.body, id_token: alter(parsedHeader, claims, signature) };
});

function page(uid) {
  const options = Object.keys(PEOPLE).map((id) => `<option value="${id}">${id}</option>`).join('');
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Test-eID</title></head>
<body><main><h1>Test-eID</h1><form method="post" action="/interaction/${uid}/login">
<label for="person">Person</label> <select id="person" name="person">${options}</select>
<button type="submit">Anmelden</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const server = http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return provider.callback()(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (!match[2]) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page(details.uid));
    }
    const id = (await readForm(req)).get('person');
    const person = PEOPLE[id];
    if (!person) {
      res.writeHead(400);
      return res.end('unknown person');
    }
    const grant = new provider.Grant({ accountId: id, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId: id, acr: person.acr },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(500);
    res.end(String(error));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ready http://127.0.0.1:${server.address().port}`);
});
