/** The frame of every screen: skip link, header (banner), main navigation, main. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Icon, type IconName } from './Icon.tsx';
import { Link } from './Link.tsx';

const NAV: ReadonlyArray<{ href: string; label: string; icon: IconName }> = [
  { href: '/requests', label: 'Requests', icon: 'list' },
  { href: '/tv', label: 'Sign in a TV', icon: 'tv' },
  { href: '/settings', label: 'Settings', icon: 'gear' },
];

export function Layout({
  path,
  user,
  pending,
  children,
}: {
  path: string;
  /** Shown in the header once enrolled; the navigation appears with it. */
  user?: string | undefined;
  /** Pending requests, shown on the Requests tab. */
  pending?: number;
  children?: ComponentChildren;
}) {
  const first = useRef(true);
  // After a navigation, move focus to the new page's heading so screen readers announce it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = document.querySelector<HTMLElement>('main h1');
    if (h1) {
      h1.tabIndex = -1;
      h1.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }, [path]);

  return (
    <div class={`shell${user ? ' shell-nav' : ''}`}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <div class="bar-in">
          <Link href="/" class="brand" aria-label="Nod, home">
            <span class="brand-mark" aria-hidden="true">
              <Icon name="check" size={18} />
            </span>
            <span class="brand-name">Nod</span>
          </Link>
          {user && (
            <p class="who">
              <span class="visually-hidden">Signed in as </span>
              {user}
            </p>
          )}
        </div>
        {user && (
          <nav class="tabs" aria-label="Main">
            <ul>
              {NAV.map((item) => {
                const current = path === item.href || path.startsWith(`${item.href}/`);
                return (
                  <li key={item.href}>
                    <Link href={item.href} class="tab" aria-current={current ? 'page' : undefined}>
                      <Icon name={item.icon} size={22} />
                      <span>{item.label}</span>
                      {item.href === '/requests' && pending ? (
                        <span class="tab-count">
                          <span class="visually-hidden">, </span>
                          {pending}
                          <span class="visually-hidden"> waiting</span>
                        </span>
                      ) : null}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" class="page">
        {children}
      </main>
    </div>
  );
}
