import { onTestFinished } from 'vitest';
import {
  DEMO_CREDENTIALS,
  startServer,
  type RunningServer,
  type ServerOptions,
} from '../../demo/server/index.js';

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
}

/** A real server on a free port, closed when the current test ends. */
export async function start(options: ServerOptions = {}): Promise<RunningServer> {
  const server = await startServer(options);
  onTestFinished(() => server.close());
  return server;
}

export async function login(server: RunningServer): Promise<Tokens> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(DEMO_CREDENTIALS),
  });
  if (res.status !== 200) throw new Error(`login failed with ${res.status}`);
  return (await res.json()) as Tokens;
}

export function refreshJson(
  server: RunningServer,
  refreshToken: string,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${server.url}/api/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
    ...init,
  });
}

export function refreshForm(server: RunningServer, refreshToken: string): Promise<Response> {
  return fetch(`${server.url}/api/auth/refresh`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'demo',
    }),
  });
}

/** Refreshes and insists on success. */
export async function rotate(server: RunningServer, refreshToken: string): Promise<Tokens> {
  const res = await refreshJson(server, refreshToken);
  if (res.status !== 200) throw new Error(`refresh failed with ${res.status}`);
  return (await res.json()) as Tokens;
}

export function getWith(server: RunningServer, path: string, accessToken?: string): Promise<Response> {
  const headers: Record<string, string> =
    accessToken === undefined ? {} : { Authorization: `Bearer ${accessToken}` };
  return fetch(`${server.url}${path}`, { headers });
}

/** Payload of a JWT, without checking anything. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
