/**
 * The experiment spec as a link: `#spec=<base64url of the deflated JSON>` after the studio's
 * address. The fragment never reaches a server, so sharing a link shares no data, only the spec;
 * opening it reads the spec back through `parseSpec`, so a link is checked exactly as a spec file.
 *
 * Owns: the link's encoding. Imports core and fflate; no worker, no DOM.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { SpecError } from '../core/errors';
import { parseSpec, type ExperimentSpec } from '../core/spec';

export const SPEC_HASH_KEY = 'spec';

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The URL fragment (with its '#') that carries `spec`. */
export function specHash(spec: ExperimentSpec): string {
  return `#${SPEC_HASH_KEY}=${toBase64Url(deflateSync(strToU8(JSON.stringify(spec)), { level: 9 }))}`;
}

/** Whether a URL fragment carries a spec. */
export function hasSpecHash(hash: string): boolean {
  return new URLSearchParams(hash.replace(/^#/, '')).has(SPEC_HASH_KEY);
}

/**
 * The spec a URL fragment carries. A fragment that is not a spec link, or a spec with bad
 * fields, throws a `SpecError` (code INVALID_SPEC) naming the field (`link` for the encoding).
 */
export function specFromHash(hash: string): ExperimentSpec {
  const value = new URLSearchParams(hash.replace(/^#/, '')).get(SPEC_HASH_KEY);
  if (!value) throw new SpecError([{ field: 'link', message: 'carries no spec (#spec=...)' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(strFromU8(inflateSync(fromBase64Url(value))));
  } catch (e) {
    throw new SpecError([{ field: 'link', message: `is damaged or cut short (${e instanceof Error ? e.message : String(e)})` }]);
  }
  return parseSpec(parsed);
}
