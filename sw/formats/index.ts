import type { TokenEndpointFormat } from '../../shared/config.js';
import { gotrue } from './gotrue.js';
import { json } from './json.js';
import { oauth2 } from './oauth2.js';
import type { TokenEndpointPreset } from './preset.js';

/**
 * The built-in formats, one file each. The names come from `TOKEN_ENDPOINT_FORMATS`
 * (shared/config.ts); this map's type makes the compiler ask for a preset for every name.
 */
export const PRESETS: { readonly [F in TokenEndpointFormat]: TokenEndpointPreset } = { json, oauth2, gotrue };
