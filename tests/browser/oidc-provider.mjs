// A real OpenID Connect provider for the tests (npm `oidc-provider`), standing in for
// BundID or a state account behind a Keycloak bridge, and for the city's own staff
// directory. It knows people whose eID logins reached different levels of assurance
// (`acr`), one with an `acr` nobody maps, and staff with their directory groups. The
// login page is a plain form: pick the person, submit.
//
// Usage: node oidc-provider.mjs   (env: PORT (required), CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS comma-separated)
// Prints "ready <issuer>" when it listens.
import http from 'node:http';
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
  mallory: {
    acr: 'urn:example:unknown-level',
    claims: { email: 'mallory@example.org', email_verified: true, given_name: 'Mallory', family_name: 'X' },
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

const provider = new Provider(issuer, {
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

provider.use(async (ctx, next) => {
  await next();
  const idToken = ctx.path === '/token' && ctx.body?.id_token;
  if (!idToken) return;
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (claims.sub !== 'eve') return;
  claims.sub = 'erika';
  const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
  ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` };
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
