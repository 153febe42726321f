import { registerTokenBroker } from 'sw-token-broker';

declare function showLoginScreen(reason: string): void;
declare const code: string, codeVerifier: string; // from your redirect URI, after checking `state`

const issuer = 'https://auth.example.com';
const broker = await registerTokenBroker({
  worker: {
    tokenEndpoint: `${issuer}/token`,
    format: 'oauth2',
    clientId: 'my-spa', // a public client: PKCE, token_endpoint_auth_method "none"
    allowedOrigins: [issuer], // the token endpoint lives on another origin
    apiPaths: ['/api/'],
    loginEndpoint: `${issuer}/token`, // the worker captures the code exchange below
    revocationEndpoint: `${issuer}/token/revocation`, // RFC 7009 on logout
  },
});
broker.on('logout', ({ reason }) => showLoginScreen(reason));

const response = await fetch(`${issuer}/token`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    code_verifier: codeVerifier,
    client_id: 'my-spa',
    redirect_uri: `${location.origin}/callback`,
  }),
});
const { id_token: idToken } = await response.json(); // no refresh_token: the worker kept it
console.log(idToken);
