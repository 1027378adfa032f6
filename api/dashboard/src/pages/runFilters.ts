// The runs list's filters live in the URL, so a filtered view can be linked, reloaded and shared.
export const filterNames = ['repository', 'workflow', 'branch', 'status', 'conclusion'] as const;
export type FilterName = (typeof filterNames)[number];
export type RunFilters = Partial<Record<FilterName, string>>;

export const statuses = ['requested', 'queued', 'waiting', 'pending', 'in_progress', 'completed'];
export const conclusions = ['success', 'failure', 'cancelled', 'skipped', 'timed_out', 'startup_failure', 'action_required', 'neutral', 'stale'];

export function filtersFrom(query: URLSearchParams): RunFilters {
  const filters: RunFilters = {};
  for (const name of filterNames) {
    const value = query.get(name)?.trim();
    if (value) filters[name] = value;
  }
  return filters;
}

export function pageFrom(query: URLSearchParams): number {
  const page = Number(query.get('page'));
  return Number.isInteger(page) && page > 0 ? page : 1;
}
