/**
 * A path router in a few lines: history API, one subscription hook, exact patterns with
 * `:param` segments. Links are plain <a href> so that they work without JavaScript semantics.
 */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

/** Goes to `to` (a same-origin path), adding a history entry unless `replace`. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
}

/** One part of the location, re-rendering on every navigation. */
function useLocationPart(read: () => string): string {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const l = () => setValue(read());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, [read]);
  return value;
}

const readPath = () => location.pathname;
const readSearch = () => location.search;

/** The current path, re-rendering on every navigation. */
export function usePath(): string {
  return useLocationPart(readPath);
}

/** The current query string (`?a=b`, or empty), re-rendering on every navigation. */
export function useSearch(): string {
  return useLocationPart(readSearch);
}

/** The params of `pattern` (e.g. "/requests/:id") when `path` matches it, else null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(s[i]!);
    else if (seg !== s[i]) return null;
  }
  return params;
}

/** Click handler for in-app links: client-side navigation for plain left clicks. */
export function onLinkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.origin !== location.origin || a.target) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}
