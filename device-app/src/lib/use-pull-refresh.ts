/** Pull down at the top of the page to refresh (touch screens); returns how far it is pulled. */
import { useEffect, useState } from 'preact/hooks';

const THRESHOLD_PX = 70;

export function usePullRefresh(onRefresh: () => void): { pulled: number; armed: boolean } {
  const [pulled, setPulled] = useState(0);
  useEffect(() => {
    let startY: number | undefined;
    let dy = 0;
    const start = (e: TouchEvent) => {
      startY = window.scrollY <= 0 && e.touches.length === 1 ? e.touches[0]!.clientY : undefined;
      dy = 0;
    };
    const move = (e: TouchEvent) => {
      if (startY === undefined) return;
      dy = Math.max(0, e.touches[0]!.clientY - startY);
      setPulled(Math.min(dy, THRESHOLD_PX * 1.5));
    };
    const end = () => {
      if (startY !== undefined && dy >= THRESHOLD_PX) onRefresh();
      startY = undefined;
      dy = 0;
      setPulled(0);
    };
    window.addEventListener('touchstart', start, { passive: true });
    window.addEventListener('touchmove', move, { passive: true });
    window.addEventListener('touchend', end);
    window.addEventListener('touchcancel', end);
    return () => {
      window.removeEventListener('touchstart', start);
      window.removeEventListener('touchmove', move);
      window.removeEventListener('touchend', end);
      window.removeEventListener('touchcancel', end);
    };
  }, [onRefresh]);
  return { pulled, armed: pulled >= THRESHOLD_PX };
}
