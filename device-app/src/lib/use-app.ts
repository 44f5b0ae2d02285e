/** The app-wide state every page reads: entity config, this device's session, the live feed. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { EntityConfig } from '../../../shared/entity-api.ts';
import type { Feed } from './feed.ts';
import type { Session } from './session.ts';

export interface AppState {
  /** Undefined while loading or when the entity is unreachable (see configError). */
  readonly config: EntityConfig | undefined;
  readonly configError: string | undefined;
  readonly session: Session | undefined;
  /** The live feed, present while enrolled. */
  readonly feed: Feed | undefined;
  /** Stores a new enrollment and starts the feed. */
  enrolled(session: Session): Promise<void>;
  /** Updates the stored session (e.g. after a rename). */
  updateSession(session: Session): Promise<void>;
  /** Forgets the enrollment locally (the caller unenrolled it at the entity, or it was removed). */
  forget(notice?: string): Promise<void>;
  /** A message for the welcome screen after a forced sign-out. */
  readonly notice: string | undefined;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside <AppContext.Provider>');
  return app;
}

/** The enrolled state; pages behind the enrollment gate use this. */
export function useEnrolled(): AppState & { readonly session: Session; readonly feed: Feed; readonly config: EntityConfig } {
  const app = useApp();
  if (!app.session || !app.feed || !app.config) throw new Error('useEnrolled on a page shown before enrollment');
  return app as AppState & { session: Session; feed: Feed; config: EntityConfig };
}
