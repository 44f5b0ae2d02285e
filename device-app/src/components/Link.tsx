/** An in-app link: a real <a href>, navigated client-side on a plain click (Enter follows the href natively). */
import type { AnchorHTMLAttributes } from 'preact';
import { onLinkClick } from '../lib/router.ts';

export function Link({ href, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  return <a href={href} {...rest} onClick={onLinkClick} />;
}
