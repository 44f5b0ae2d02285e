/** An in-app link: a real <a href>, navigated client-side on a plain click. */
import type { AnchorHTMLAttributes } from 'preact';
import { onLinkClick } from '../lib/router.ts';

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return <a {...props} onClick={onLinkClick} />;
}
