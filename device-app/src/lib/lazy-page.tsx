/**
 * Pages the first screen does not need (sign-in callback, settings, TV code entry) are their own
 * chunks, fetched the first time they are shown (the service worker precaches them, so this
 * works offline too): the JavaScript a start loads stays within its budget.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A component that loads `load`'s page on first use and shows a spinner until then; a failed load reaches the error boundary. */
export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let page: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  return function LazyPage(props: P) {
    const [, setLoaded] = useState(page);
    const [error, setError] = useState<unknown>();
    useEffect(() => {
      if (page) return;
      let live = true;
      loading ??= load().then((p) => (page = p));
      loading.then(
        (p) => live && setLoaded(() => p),
        (e: unknown) => {
          loading = undefined;
          if (live) setError(e);
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (error) throw error;
    if (!page) {
      return (
        <p class="spinner" role="status">
          Loading…
        </p>
      );
    }
    const Page = page;
    return <Page {...props} />;
  };
}
