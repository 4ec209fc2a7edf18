/**
 * The spec as a shareable link: read the spec a URL fragment carries into Configure (checked as a
 * spec file is), and the fragment for the current spec (`../specLink`).
 */
import { toErrorInfo } from '../../core/errors';
import { hasSpecHash, specFromHash, specHash } from '../specLink';
import type { LinkSlice, Slice } from '../state';

export const linkSlice: Slice<LinkSlice> = (set, get) => ({
  linkError: null,
  openSpecLink: (hash) => {
    if (!hasSpecHash(hash)) return false;
    try {
      set({ spec: specFromHash(hash), preset: 'custom', linkError: null, tab: 'Configure' });
      return true;
    } catch (e) {
      set({ linkError: toErrorInfo(e) });
      return false;
    }
  },
  specLinkHash: () => specHash(get().spec),
});
