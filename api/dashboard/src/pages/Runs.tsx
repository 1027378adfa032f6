import { TableScroll } from '../components/TableScroll';
import { useEffect, useState } from 'preact/hooks';
import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Time } from '../components/Time';
import { Badge } from '../components/Badge';
import { ProviderMark, runHref } from '../components/Provider';
import { Pager } from '../components/Pager';
import { RepositoryOptions, REPOSITORY_OPTIONS } from '../components/RepositoryOptions';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { Link, navigate, useLocation, withQuery } from '../router';
import { between, duration } from '../format';
import { conclusions, filterNames, filtersFrom, pageFrom, statuses, type RunFilters } from './runFilters';

const PAGE_SIZE = 50;

function FilterForm({ filters, onApply }: { filters: RunFilters; onApply: (f: RunFilters) => void }) {
  // The text fields are edited locally and applied on submit; the selects apply at once.
  const [draft, setDraft] = useState(filters);
  // Follow the URL (back/forward, Clear): compare by value, the object is new on every render.
  useEffect(() => setDraft(filters), [JSON.stringify(filters)]);
  const text = (name: 'repository' | 'workflow' | 'branch', label: string, placeholder: string) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <input
        id={`filter-${name}`}
        name={name}
        type="search"
        placeholder={placeholder}
        {...(name === 'repository' ? { list: REPOSITORY_OPTIONS } : {})}
        value={draft[name] ?? ''}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
      />
    </div>
  );
  const select = (name: 'status' | 'conclusion', label: string, values: string[]) => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <select
        id={`filter-${name}`}
        name={name}
        value={draft[name] ?? ''}
        onChange={(e) => onApply({ ...draft, [name]: e.currentTarget.value })}
      >
        <option value="">Any</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {v.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter runs"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <RepositoryOptions />
      {text('repository', 'Repository', 'owner/name')}
      {text('workflow', 'Workflow', 'CI')}
      {text('branch', 'Branch', 'main')}
      {select('status', 'Status', statuses)}
      {select('conclusion', 'Conclusion', conclusions)}
      <div class="field-actions">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => onApply({})}>
          Clear filters
        </button>
      </div>
    </form>
  );
}

export function Runs() {
  const { path, query } = useLocation();
  const filters = filtersFrom(query);
  const page = pageFrom(query);
  const params = { ...filters, page, page_size: PAGE_SIZE };
  const key = withQuery('/api/v1/workflow-runs', new URLSearchParams(), { ...filters, page: String(page) });
  const runs = usePolled(key, (init) => api.GET('/api/v1/workflow-runs', { ...init, params: { query: params } }), {
    every: 3000,
  });

  const apply = (next: RunFilters) => {
    const changes: Record<string, string | undefined> = { page: undefined };
    for (const name of filterNames) changes[name] = next[name]?.trim() || undefined;
    navigate(withQuery(path, query, changes), { keepScroll: true });
  };
  const toPage = (p: number) => navigate(withQuery(path, query, { page: p > 1 ? String(p) : undefined }), { keepScroll: true });
  const filtered = Object.keys(filters).length > 0;
  const data = runs.data;

  return (
    <Page title="Runs">
      <FilterForm filters={filters} onApply={apply} />
      <Pending what="runs" loading={runs.loading} error={runs.error} hasData={!!data} onRetry={runs.reload} />
      {data && data.items.length === 0 && (
        <Empty>
          {filtered
            ? 'No runs match these filters. Clear a filter to see more.'
            : 'No runs yet. Connect a repository or send a webhook (scripts/send-example).'}
        </Empty>
      )}
      {data && data.items.length > 0 && (
        <>
          <TableScroll label="Workflow runs, newest first; updates live">
            <table class="runs">
              <caption class="sr-only">Workflow runs, newest first; updates live</caption>
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Repository</th>
                  <th scope="col">Branch</th>
                  <th scope="col">Status</th>
                  <th scope="col">Conclusion</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((run) => (
                  <tr
                    key={`${run.provider}-${run.run_id}`}
                    data-run-id={run.run_id}
                    data-provider={run.provider}
                    data-status={run.status}
                    data-conclusion={run.conclusion ?? ''}
                  >
                    <td>
                      <Link href={runHref(run.run_id, run.provider)}>{run.name || `Run ${run.run_id}`}</Link>
                      <span class="muted small">
                        {' '}
                        #{run.run_id}
                        {run.run_attempt > 1 ? ` attempt ${run.run_attempt}` : ''}
                      </span>
                    </td>
                    <td>
                      {run.repository} <ProviderMark provider={run.provider} />
                    </td>
                    <td>{run.head_branch ?? '—'}</td>
                    <td>
                      <Badge value={run.status} />
                    </td>
                    <td>
                      <Badge value={run.conclusion} />
                    </td>
                    <td>
                      <Time value={run.run_started_at ?? run.created_at} />
                    </td>
                    <td>{run.status === 'completed' ? duration(between(run.run_started_at, run.updated_at)) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <Pager page={data.page} pages={data.pages} total={data.total} label="Runs" onPage={toPage} />
        </>
      )}
    </Page>
  );
}
