import { registerTokenBroker } from 'sw-token-broker';
import { discoverOidc } from 'sw-token-broker/oidc';

declare function showLoginScreen(reason: string): void;
declare const loginButton: HTMLButtonElement, logoutButton: HTMLButtonElement;

const oidc = await discoverOidc({
  issuer: 'https://auth.example.com', // reads its /.well-known/openid-configuration
  clientId: 'my-spa', // a public client: PKCE, token_endpoint_auth_method "none"
  redirectUri: `${location.origin}/callback`,
  postLogoutRedirectUri: `${location.origin}/`,
});
// Token, login (code exchange) and revocation endpoints come from the discovery document.
const broker = await registerTokenBroker({ worker: oidc.workerConfig({ apiPaths: ['/api/'] }) });
broker.on('logout', ({ reason }) => showLoginScreen(reason));

// Checks state, exchanges the code through the worker (it keeps the refresh token), checks the ID token.
if (location.pathname === '/callback') await oidc.handleCallback(broker);
loginButton.onclick = () => oidc.login(); // to the provider: code flow, PKCE S256, state, nonce
logoutButton.onclick = () => oidc.logout(broker); // revokes, then the provider's end-session
