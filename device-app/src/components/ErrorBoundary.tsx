/** The top-level error boundary: a calm message and a way out instead of a blank screen. */
import { Component, type ComponentChildren } from 'preact';

interface State {
  readonly error?: Error;
}

export class ErrorBoundary extends Component<{ children?: ComponentChildren }, State> {
  override state: State = {};

  static override getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown): void {
    console.error('[nod] render error', error);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <main id="main" class="page">
        <h1>Something went wrong</h1>
        <p>Nod hit an unexpected problem. No decision was sent.</p>
        <p class="muted">{this.state.error.message}</p>
        <button type="button" class="btn btn-primary" onClick={() => location.assign('/')}>
          Reload Nod
        </button>
      </main>
    );
  }
}
