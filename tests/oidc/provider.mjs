// A local OpenID Connect provider for the console's single sign-on tests:
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// One confidential client (authorization code + PKCE). Any login name is accepted at the
// provider's own sign-in form (its development interactions); the name becomes the account's
// `sub` and `preferred_username`, so the hub decides who may enter. Consent is given without a
// prompt (a first-party client). Prints "listening" when ready.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  cookies: { keys: ['lgsp-hub-tests-only'] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] },
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, preferred_username: id, name: id, email: `${id}@example.vn` }),
  }),
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log('listening'));
