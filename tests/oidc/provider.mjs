// A real OpenID Provider for the tests: node-oidc-provider (OpenID certified), on loopback, with the clients and the
// people the tests sign in as. Its own development login pages take any login name (the password is not checked);
// the name picks the claims from users.json (an unknown name signs in with a subject and nothing else).
//
// Environment:
//   PORT                       port to listen on (127.0.0.1); the issuer is http://127.0.0.1:PORT
//   CLIENTS                    JSON array of clients: [{"client_id", "client_secret", "redirect_uris",
//                              "post_logout_redirect_uris"}]
//   CLOCK_SHIFT_SECONDS        runs the provider's clock this far off (negative: in the past), so every token it
//                              issues is already expired when it arrives
//   SIGN_WITH_UNPUBLISHED_KEY  "1": signs with a key its JWKS document does not publish
//   ID_TOKEN_AUDIENCE          issues ID tokens for this audience instead of the client that asked for them
//
// Prints "ready ISSUER" on stdout once listening; stops on SIGTERM or when stdin closes.
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

const shift = Number(process.env.CLOCK_SHIFT_SECONDS || 0) * 1000;
if (shift) {
  const realNow = Date.now;
  Date.now = () => realNow() + shift;
}

const { default: Provider } = await import('oidc-provider');

const port = Number(process.env.PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const users = JSON.parse(readFileSync(new URL('./users.json', import.meta.url), 'utf8'));
const clients = JSON.parse(process.env.CLIENTS || '[]').map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}));

// A fresh signing key at every start: a restarted provider has rotated its keys.
function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}
const signing = signingKey();
const published = process.env.SIGN_WITH_UNPUBLISHED_KEY === '1' ? signingKey() : null;

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signing] },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'agency', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    agency: ['agency'],
    groups: ['groups'],
  },
  // ID tokens carry the claims (the relying party reads no userinfo).
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Session: 3600, Grant: 3600, Interaction: 600 },
  cookies: { keys: ['opendata-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const user = users[id] || {};
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...user };
      },
    };
  },
  // The test clients are first-party: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email agency groups');
    await grant.save();
    return grant;
  },
});

if (process.env.ID_TOKEN_AUDIENCE) {
  // The provider signs, with its own published key, an ID token for another audience.
  const audience = process.env.ID_TOKEN_AUDIENCE;
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = function issueForAnotherAudience(options) {
    const client = this.client;
    this.client = new Proxy(client, {
      get: (target, key) => (key === 'clientId' ? audience : Reflect.get(target, key)),
    });
    return issue.call(this, options).finally(() => { this.client = client; });
  };
}

if (published) {
  // The JWKS document lists another key than the one the provider signs with.
  const { d, p, q, dp, dq, qi, ...pub } = published;
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.type = 'application/jwk-set+json';
      ctx.body = { keys: [pub] };
      return;
    }
    await next();
  });
}

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
