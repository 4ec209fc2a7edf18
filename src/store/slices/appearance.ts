/**
 * How the studio looks and whether it works offline: the colour theme (the system's, or light or
 * dark as chosen, kept in this browser) and the service worker's report (stored for offline use,
 * online or not).
 */
import type { AppearanceSlice, Slice, ThemePreference } from '../state';

const THEME_KEY = 'cohort-studio-theme';
const THEMES: readonly ThemePreference[] = ['system', 'light', 'dark'];

export const appearanceSlice: Slice<AppearanceSlice> = (set, get, deps) => {
  const saved = deps.prefs?.get(THEME_KEY);
  return {
    theme: THEMES.includes(saved as ThemePreference) ? (saved as ThemePreference) : 'system',
    setTheme: (theme) => {
      if (!THEMES.includes(theme)) return;
      set({ theme });
      deps.prefs?.set(THEME_KEY, theme);
    },
    offline: { ready: false, online: true, error: null },
    setOffline: (p) => set({ offline: { ...get().offline, ...p } }),
  };
};
