// The two oidc-provider internals the DPoP interop spec uses to rotate the nonce secret of a
// running provider (oidc-provider 9: `lib/provider.js` builds `DPoPNonces` once from `nonceSecret`).
declare module 'oidc-provider/lib/helpers/challenge.js' {
  export default class ServerChallenge {
    constructor(secret: Buffer, info: string);
    nextChallenge(): string;
  }
}
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  export default function instance(provider: object): { DPoPNonces?: unknown };
}
