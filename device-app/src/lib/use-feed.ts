/** Subscribes a component to the live request feed (undefined while not enrolled). */
import { useEffect, useState } from 'preact/hooks';
import type { Feed, FeedState } from './feed.ts';

export function useFeed(feed: Feed): FeedState;
export function useFeed(feed: Feed | undefined): FeedState | undefined;
export function useFeed(feed: Feed | undefined): FeedState | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!feed) return;
    setTick((t) => t + 1);
    return feed.subscribe(() => setTick((t) => t + 1));
  }, [feed]);
  return feed?.state;
}
