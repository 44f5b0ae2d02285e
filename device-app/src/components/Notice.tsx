/** A message box: an icon and words (never colour alone), announced politely or assertively. */
import type { ComponentChildren } from 'preact';
import { Icon, type IconName } from './Icon.tsx';

export type Tone = 'info' | 'success' | 'warning' | 'danger';

const ICONS: Record<Tone, IconName> = { info: 'info', success: 'check', warning: 'alert', danger: 'alert' };

export function Notice({
  tone = 'info',
  title,
  children,
  live = true,
}: {
  tone?: Tone;
  title?: string;
  children?: ComponentChildren;
  /** Announce to screen readers when it appears (alert for danger, status otherwise). */
  live?: boolean;
}) {
  const role = !live ? undefined : tone === 'danger' ? 'alert' : 'status';
  return (
    <div class={`notice notice-${tone}`} role={role}>
      <Icon name={ICONS[tone]} />
      <div>
        {title && <p class="notice-title">{title}</p>}
        {children}
      </div>
    </div>
  );
}
