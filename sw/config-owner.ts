import type { DeclarativeConfig } from '../shared/config.js';
import { TokenBrokerError } from '../shared/errors.js';
import { matchesPathPrefix } from '../shared/paths.js';
import type { ResolvedConfig } from './settings.js';

/** A config with the version its app declared (`configVersion`, 0 when absent). */
export interface VersionedConfig {
  version: number;
  config: ResolvedConfig;
}

/**
 * What the standalone worker does with a config a page sent:
 * - `accept`: it replaces the stored one (or there was none);
 * - `keep`: it says the same as the stored one, nothing to write;
 * - `conflict`: the stored one stays and the sending tab gets `config-conflict` with `reason`.
 */
export type ConfigDecision = { kind: 'accept' } | { kind: 'keep' } | { kind: 'conflict'; reason: string };

/** The declared version of a config; `invalid-config` unless a non-negative safe integer. */
export function configVersionOf(config: DeclarativeConfig): number {
  const v = config.configVersion ?? 0;
  if (!Number.isSafeInteger(v) || v < 0)
    throw new TokenBrokerError('invalid-config', 'configVersion must be a non-negative integer');
  return v;
}

const href = (url: URL | null): string | null => url?.href ?? null;
const covered = (path: string, prefixes: readonly string[]): boolean =>
  prefixes.some((p) => matchesPathPrefix(path, p));

/** The ways `next` would protect less than `current`; empty when it protects as much or more. */
export function weakenings(current: ResolvedConfig, next: ResolvedConfig): string[] {
  const out: string[] = [];
  if (href(current.tokenEndpoint) !== href(next.tokenEndpoint)) out.push('change tokenEndpoint');
  if (
    current.format !== next.format ||
    current.clientId !== next.clientId ||
    current.scope !== next.scope ||
    current.apiKey !== next.apiKey
  ) {
    out.push('change the token endpoint parameters (format, clientId, scope, apiKey)');
  }
  if (current.loginEndpoint && href(current.loginEndpoint) !== href(next.loginEndpoint))
    out.push('turn login capture off or move it');
  if (current.revocationEndpoint && href(current.revocationEndpoint) !== href(next.revocationEndpoint))
    out.push('turn revocation off or move it');
  if (next.apiPaths.some((p) => !covered(p, current.apiPaths))) out.push('widen apiPaths');
  if ([...next.allowedOrigins].some((o) => !current.allowedOrigins.has(o))) out.push('widen allowedOrigins');
  if (current.excludePaths.some((p) => !covered(p, next.excludePaths))) out.push('narrow excludePaths');
  if (current.respectExistingAuthorization !== next.respectExistingAuthorization)
    out.push('change respectExistingAuthorization');
  if (!current.revealAccessToken && next.revealAccessToken) out.push('turn revealAccessToken on');
  return out;
}

/** Everything a declarative config decides, in a comparable form (defaults applied, URLs absolute). */
function fingerprint(c: ResolvedConfig): string {
  const { hooks: _hooks, allowedOrigins, tokenEndpoint, loginEndpoint, revocationEndpoint, ...rest } = c;
  const urls = {
    tokenEndpoint: href(tokenEndpoint),
    loginEndpoint: href(loginEndpoint),
    revocationEndpoint: href(revocationEndpoint),
  };
  const plain = { ...rest, ...urls, allowedOrigins: [...allowedOrigins].sort() };
  return JSON.stringify(Object.entries(plain).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * The one rule for who owns the standalone worker's config (one owner per deployment):
 * 1. a newer `configVersion` replaces the stored config (the other tabs are then told);
 * 2. an older one never does;
 * 3. at the same version, a change that weakens protection never applies, and no change
 *    applies while a session is active: the app raises `configVersion` to replace it.
 * Pure: the caller reads the stored config and acts on the answer.
 */
export function decideConfig(
  stored: VersionedConfig | null,
  incoming: VersionedConfig,
  sessionActive: boolean,
): ConfigDecision {
  if (!stored) return { kind: 'accept' };
  if (incoming.version > stored.version) return { kind: 'accept' };
  if (incoming.version < stored.version) {
    return {
      kind: 'conflict',
      reason: `configVersion ${incoming.version} is older than the worker's ${stored.version}`,
    };
  }
  if (fingerprint(stored.config) === fingerprint(incoming.config)) return { kind: 'keep' };
  const weaker = weakenings(stored.config, incoming.config);
  if (weaker.length > 0) {
    return {
      kind: 'conflict',
      reason: `a config with the same configVersion (${incoming.version}) may not ${weaker.join(', ')}; raise configVersion`,
    };
  }
  if (sessionActive) {
    return {
      kind: 'conflict',
      reason: `the config differs from the worker's (configVersion ${stored.version}) while a session is active; raise configVersion`,
    };
  }
  return { kind: 'accept' };
}

/** Where a standalone worker keeps the config pages sent it. */
interface ConfigStore {
  readConfig(): Promise<DeclarativeConfig | null>;
  writeConfig(config: DeclarativeConfig): Promise<void>;
}

/**
 * The standalone worker's configure step: reads the stored config (one that fails today's rules,
 * `resolveStored` null, counts as none), decides, and stores an accepted one. Throws
 * `config-conflict`. Resolves with the version that replaced a stored config, if one did: the
 * tabs still on the old one must be told.
 */
export async function adoptPageConfig(
  store: ConfigStore,
  incoming: { plain: DeclarativeConfig; resolved: ResolvedConfig },
  resolveStored: (saved: DeclarativeConfig) => ResolvedConfig | null,
  sessionActive: boolean,
): Promise<{ replacedBy: number | null }> {
  const saved = await store.readConfig();
  const savedConfig = saved && resolveStored(saved);
  const stored = saved && savedConfig ? { version: configVersionOf(saved), config: savedConfig } : null;
  const version = configVersionOf(incoming.plain);
  const decision = decideConfig(stored, { version, config: incoming.resolved }, sessionActive);
  if (decision.kind === 'conflict') throw new TokenBrokerError('config-conflict', decision.reason);
  if (decision.kind === 'accept') await store.writeConfig(incoming.plain);
  return { replacedBy: decision.kind === 'accept' && stored ? version : null };
}

const queues = new WeakMap<object, Promise<unknown>>();

/**
 * Runs `fn` after every earlier `oneAtATime` call for the same `owner` settled. Two tabs
 * configuring at once must not both decide against the same stored config and both "win".
 */
export function oneAtATime<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(owner) ?? Promise.resolve()).then(fn);
  queues.set(
    owner,
    run.catch(() => undefined),
  );
  return run;
}
