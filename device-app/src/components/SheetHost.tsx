/**
 * Loads the request sheet (components/RequestSheet.tsx) the first time a request is pending, so
 * that what every start loads stays small; the service worker has the chunk cached, so the
 * sheet still shows at once.
 */
import { useEffect, useState } from 'preact/hooks';
import type { RequestSheet } from './RequestSheet.tsx';
import { useEnrolled } from '../lib/use-app.ts';
import { useFeed } from '../lib/use-feed.ts';

export function SheetHost({ path }: { path: string }) {
  const { feed } = useEnrolled();
  const state = useFeed(feed);
  const [Sheet, setSheet] = useState<typeof RequestSheet>();
  const wanted = state.requests.some((r) => r.status === 'pending');
  useEffect(() => {
    if (wanted && !Sheet)
      import('./RequestSheet.tsx').then(
        (m) => setSheet(() => m.RequestSheet),
        (e: unknown) => console.warn('[nod] sheet failed to load', e),
      );
  }, [wanted, Sheet]);
  return Sheet ? <Sheet path={path} /> : null;
}
