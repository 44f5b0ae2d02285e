/** Sets the document title for a page ("<page> · Nod"). */
import { useEffect } from 'preact/hooks';

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Nod` : 'Nod';
  }, [title]);
}
