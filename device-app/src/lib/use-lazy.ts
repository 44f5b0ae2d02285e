/**
 * A module loaded the first time it is needed (its own chunk, precached by the service worker),
 * so that what every start loads stays small: payment views and passkey code load only on the
 * screens that use them.
 */
import { useEffect, useState } from 'preact/hooks';

/** The loaded module, or undefined while it loads (or when `needed` is false). */
export function useLazy<T>(load: () => Promise<T>, needed = true): T | undefined {
  const [mod, setMod] = useState<{ m: T }>();
  useEffect(() => {
    if (needed && !mod)
      load().then(
        (m) => setMod({ m }),
        (e: unknown) => console.warn('[nod] a part of the app failed to load', e),
      );
  }, [needed]);
  return mod?.m;
}
