/** On iPhone and iPad, pushes only reach an app added to the Home Screen: say how. */
import './IosInstallHint.css';
import { needsIosInstall } from '../lib/platform.ts';
import { Icon } from './Icon.tsx';

export function IosInstallHint() {
  if (!needsIosInstall()) return null;
  return (
    <aside class="card install" aria-labelledby="ios-install-title">
      <h2 id="ios-install-title">Add Nod to your Home Screen</h2>
      <p>On iPhone and iPad, notifications only work when Nod is opened from the Home Screen.</p>
      <ol>
        <li>
          Tap <Icon name="share" size={18} /> <strong>Share</strong> in Safari's toolbar.
        </li>
        <li>
          Choose <strong>Add to Home Screen</strong>, then <strong>Add</strong>.
        </li>
        <li>Open Nod from the Home Screen and turn on notifications.</li>
      </ol>
    </aside>
  );
}
