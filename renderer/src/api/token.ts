/** Key under which the control API token is kept in sessionStorage (per tab, gone when the tab closes). */
export const TOKEN_KEY = 'glassbox.token';

/**
 * Takes the control API token handed over in the URL fragment (`#token=…`, printed by `glassbox serve`) once:
 * stores it in sessionStorage and strips it from the address bar, so it does not stay in history or get
 * copied with the URL. Falls back to the token stored earlier in this tab.
 * @returns the token, or null when the page was opened without one
 */
export function takeToken(location: Location, storage: Storage, history: History): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const handed = fragment.get('token');
  if (handed) {
    storage.setItem(TOKEN_KEY, handed);
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(
      history.state,
      '',
      `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`,
    );
    return handed;
  }
  return storage.getItem(TOKEN_KEY);
}
