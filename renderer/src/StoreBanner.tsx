import type { StoreHealth } from '../../proxy/api/types';

/**
 * Says plainly, above everything, when the engine cannot record (GET /api/health's `store`: a full disk) —
 * so clients are being refused — and since when; it goes away by itself once recording resumes.
 */
export function StoreBanner({ store }: { store: StoreHealth | null }) {
  if (!store || store.ok) return null;
  const since = store.since ? new Date(store.since / 1000).toLocaleTimeString() : null;
  return (
    <div className="banner banner-store" role="alert" data-testid="store-failing">
      <strong>Not recording{since ? ` since ${since}` : ''}:</strong>{' '}
      <span>
        {store.error}. Requests and statements are refused until this is fixed; recording resumes by itself.
      </span>
    </div>
  );
}
