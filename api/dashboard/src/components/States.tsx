// What a page shows while it has nothing else to show: loading, failed, or empty.
import type { ComponentChildren } from 'preact';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p>{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>;
}

/** One of the three states, or null when `data` is there to render. */
export function Pending({
  what,
  loading,
  error,
  hasData,
  onRetry,
}: {
  what: string;
  loading: boolean;
  error: string | undefined;
  hasData: boolean;
  onRetry?: () => void;
}) {
  if (hasData) {
    // Stale data stays on screen; a failed poll says so above it.
    return error ? <ErrorBox message={`Could not refresh ${what}: ${error}`} /> : null;
  }
  if (error) return <ErrorBox message={error} {...(onRetry ? { onRetry } : {})} />;
  if (loading) return <Loading what={what} />;
  return null;
}
