// Client-side routing on the History API. The server answers index.html for every page
// path, so a deep link loads the app and this picks the page.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener('popstate', notify);

export interface NavigateOptions {
  replace?: boolean;
  /** Keep the scroll position (a filter or page change of the same list). */
  keepScroll?: boolean;
}

export function navigate(to: string, options: NavigateOptions = {}) {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  if (!options.keepScroll) window.scrollTo(0, 0);
  notify();
}

export interface Location {
  path: string;
  query: URLSearchParams;
  /** path and query, for keys and return addresses */
  href: string;
}

function current(): Location {
  return { path: location.pathname, query: new URLSearchParams(location.search), href: location.pathname + location.search };
}

export function useLocation(): Location {
  const [value, setValue] = useState(current);
  useEffect(() => {
    const update = () => setValue(current());
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return value;
}

/** The query with `changes` applied; empty values are dropped so URLs stay short. */
export function withQuery(path: string, query: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value) next.set(name, value);
    else next.delete(name);
  }
  const text = next.toString();
  return text ? `${path}?${text}` : path;
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

export function Link({ href, onClick, ...rest }: LinkProps) {
  const follow = (event: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
    if (onClick) (onClick as (e: JSX.TargetedMouseEvent<HTMLAnchorElement>) => void)(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...rest} />;
}

export interface Route {
  pattern: RegExp;
  /** Whether the page needs a signed-in session. */
  auth: boolean;
  render: (params: string[]) => JSX.Element;
}

export function match(routes: Route[], path: string): { route: Route; params: string[] } | null {
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (found) return { route, params: found.slice(1).map((p) => decodeURIComponent(p ?? '')) };
  }
  return null;
}
