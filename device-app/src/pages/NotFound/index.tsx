/** Any path the app does not know. */
import { Link } from '../../components/Link.tsx';
import { useTitle } from '../../lib/use-title.ts';

export function NotFound() {
  useTitle('Not found');
  return (
    <div>
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link href="/" class="btn">
        Go to Nod
      </Link>
    </div>
  );
}
