import { api } from '../api/client';
import { usePolled } from '../api/poll';

export const REPOSITORY_OPTIONS = 'known-repositories';

/** Suggestions for a repository field (input list={REPOSITORY_OPTIONS}): the repositories Faultline knows. */
export function RepositoryOptions() {
  const known = usePolled('/api/v1/repositories?page_size=100', (init) =>
    api.GET('/api/v1/repositories', { ...init, params: { query: { page_size: 100 } } }),
  );
  return (
    <datalist id={REPOSITORY_OPTIONS}>
      {known.data?.items.map((r) => <option key={r.id} value={r.full_name} />)}
    </datalist>
  );
}
