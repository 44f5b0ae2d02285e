/** The current time in epoch seconds (fractional), re-rendering every `intervalMs`. */
import { useEffect, useState } from 'preact/hooks';

export function useNow(intervalMs = 1000, active = true): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    if (!active) return;
    setNow(Date.now() / 1000);
    const t = setInterval(() => setNow(Date.now() / 1000), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, active]);
  return now;
}
