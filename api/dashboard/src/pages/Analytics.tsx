import { TableScroll } from '../components/TableScroll';
import { useEffect, useState } from 'preact/hooks';
import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Time } from '../components/Time';
import { TrendChart } from '../components/TrendCharts';
import { SignatureTable } from '../components/SignatureTable';
import { RepositoryOptions, REPOSITORY_OPTIONS } from '../components/RepositoryOptions';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { navigate, useLocation, withQuery } from '../router';
import { count, daysAgo, duration, percent } from '../format';

// Day buckets keep every range within one page of trends (at most 100 buckets); a single day uses hours.
const ranges = [
  { value: '1', label: 'Last 24 hours', days: 1, bucket: 'hour' as const },
  { value: '7', label: 'Last 7 days', days: 7, bucket: 'day' as const },
  { value: '30', label: 'Last 30 days', days: 30, bucket: 'day' as const },
  { value: '90', label: 'Last 90 days', days: 90, bucket: 'day' as const },
];
const EVERY = 30_000;

function Scope({ repository, workflow, onApply }: { repository: string; workflow: string; onApply: (r: string, w: string) => void }) {
  const [draft, setDraft] = useState({ repository, workflow });
  useEffect(() => setDraft({ repository, workflow }), [repository, workflow]);
  return (
    <form
      class="filters"
      aria-label="Scope"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft.repository.trim(), draft.workflow.trim());
      }}
    >
      <RepositoryOptions />
      <div class="field">
        <label for="scope-repository">Repository</label>
        <input
          id="scope-repository"
          type="search"
          list={REPOSITORY_OPTIONS}
          placeholder="owner/name (all)"
          value={draft.repository}
          onInput={(e) => setDraft({ ...draft, repository: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for="scope-workflow">Workflow</label>
        <input
          id="scope-workflow"
          type="search"
          placeholder="all"
          value={draft.workflow}
          onInput={(e) => setDraft({ ...draft, workflow: e.currentTarget.value })}
        />
      </div>
      <div class="field-actions">
        <button type="submit" class="primary">
          Apply
        </button>
      </div>
    </form>
  );
}

export function Analytics() {
  const { path, query } = useLocation();
  const range = ranges.find((r) => r.value === query.get('range')) ?? ranges[2]!;
  const repository = query.get('repository')?.trim() ?? '';
  const workflow = query.get('workflow')?.trim() ?? '';
  const since = daysAgo(range.days);
  const scope = { since, ...(repository ? { repository } : {}) };
  const suffix = new URLSearchParams({ since, repository, workflow }).toString();

  const trends = usePolled(
    `/api/v1/analytics/trends?bucket=${range.bucket}&${suffix}`,
    (init) =>
      api.GET('/api/v1/analytics/trends', {
        ...init,
        params: { query: { ...scope, ...(workflow ? { workflow } : {}), bucket: range.bucket, page_size: 100 } },
      }),
    { every: EVERY },
  );
  const stats = usePolled(
    `/api/v1/workflow-runs/stats?${suffix}`,
    (init) => api.GET('/api/v1/workflow-runs/stats', { ...init, params: { query: { ...scope, page_size: 100 } } }),
    { every: EVERY },
  );
  const flaky = usePolled(
    `/api/v1/analytics/flaky?${suffix}`,
    (init) => api.GET('/api/v1/analytics/flaky', { ...init, params: { query: { ...scope, page_size: 20 } } }),
    { every: EVERY },
  );
  const signatures = usePolled(
    `/api/v1/analytics/failure-signatures?${suffix}`,
    (init) => api.GET('/api/v1/analytics/failure-signatures', { ...init, params: { query: { ...scope, page_size: 20 } } }),
    { every: EVERY },
  );
  const health = usePolled(
    `/api/v1/analytics/repositories?since=${since}`,
    (init) => api.GET('/api/v1/analytics/repositories', { ...init, params: { query: { since, page_size: 100 } } }),
    { every: EVERY },
  );

  const statRows = (stats.data?.items ?? []).filter((s) => !workflow || s.workflow === workflow);
  const buckets = trends.data?.items ?? [];

  return (
    <Page title="Analytics">
      <div class="toolbar">
        <div class="field">
          <label for="range">Range</label>
          <select
            id="range"
            value={range.value}
            onChange={(e) => navigate(withQuery(path, query, { range: e.currentTarget.value }), { keepScroll: true })}
          >
            {ranges.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <Scope
          repository={repository}
          workflow={workflow}
          onApply={(r, w) => navigate(withQuery(path, query, { repository: r || undefined, workflow: w || undefined }), { keepScroll: true })}
        />
      </div>

      <section aria-labelledby="over-time">
        <h2 id="over-time">
          Over time{repository ? ` — ${repository}` : ''}
          {workflow ? `, ${workflow}` : ''}
        </h2>
        <Pending what="trends" loading={trends.loading} error={trends.error} hasData={!!trends.data} onRetry={trends.reload} />
        {trends.data && (
          <div class="grid-2">
            <TrendChart title="Failure rate" buckets={buckets} metric="failure_rate" />
            <TrendChart title="Run duration" buckets={buckets} metric="duration" />
            <TrendChart title="Queue time" buckets={buckets} metric="queue" />
            <TrendChart title="Mean time to recovery" buckets={buckets} metric="mttr" />
          </div>
        )}
      </section>

      <section aria-labelledby="per-workflow">
        <h2 id="per-workflow">Per repository and workflow</h2>
        <Pending what="workflow statistics" loading={stats.loading} error={stats.error} hasData={!!stats.data} onRetry={stats.reload} />
        {stats.data &&
          (statRows.length === 0 ? (
            <Empty>No completed runs in this range.</Empty>
          ) : (
            <TableScroll label="Statistics per repository and workflow">
              <table>
                <caption class="sr-only">Statistics per repository and workflow</caption>
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col">Workflow</th>
                    <th scope="col">Runs</th>
                    <th scope="col">Failure rate</th>
                    <th scope="col">p95 duration</th>
                    <th scope="col">p95 queue</th>
                    <th scope="col">MTTR</th>
                  </tr>
                </thead>
                <tbody>
                  {statRows.map((s) => (
                    <tr key={`${s.repository}/${s.workflow_id ?? s.workflow}`} data-repository={s.repository} data-workflow={s.workflow ?? ''}>
                      <td>{s.repository}</td>
                      <td>{s.workflow ?? '—'}</td>
                      <td>{count(s.runs)}</td>
                      <td>{percent(s.failure_rate)}</td>
                      <td>{duration(s.duration_seconds.p95)}</td>
                      <td>{duration(s.queue_seconds.p95)}</td>
                      <td>{duration(s.mttr_seconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          ))}
      </section>

      <section aria-labelledby="flaky-heading">
        <h2 id="flaky-heading">Flaky jobs</h2>
        <Pending what="flaky jobs" loading={flaky.loading} error={flaky.error} hasData={!!flaky.data} onRetry={flaky.reload} />
        {flaky.data &&
          (flaky.data.items.length === 0 ? (
            <Empty>No flaky jobs in this range: no job failed and then passed on a re-run of the same commit.</Empty>
          ) : (
            <TableScroll label="Flaky jobs, highest rate first">
              <table>
                <caption class="sr-only">Flaky jobs, highest rate first</caption>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Workflow</th>
                    <th scope="col">Repository</th>
                    <th scope="col">Flaky runs</th>
                    <th scope="col">Flaky rate</th>
                    <th scope="col">Last flaky</th>
                  </tr>
                </thead>
                <tbody>
                  {flaky.data.items.map((f) => (
                    <tr key={`${f.repository}/${f.workflow}/${f.job}`} data-job={f.job}>
                      <td>{f.job}</td>
                      <td>{f.workflow}</td>
                      <td>{f.repository ?? '—'}</td>
                      <td>
                        {f.flaky_runs} of {f.runs}
                      </td>
                      <td>{percent(f.flaky_rate)}</td>
                      <td>
                        <Time value={f.last_flaky_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          ))}
      </section>

      <section aria-labelledby="signatures-heading">
        <h2 id="signatures-heading">Failure signatures</h2>
        <Pending what="failure signatures" loading={signatures.loading} error={signatures.error} hasData={!!signatures.data} onRetry={signatures.reload} />
        {signatures.data &&
          (signatures.data.items.length === 0 ? (
            <Empty>No failure signatures in this range.</Empty>
          ) : (
            <SignatureTable items={signatures.data.items} />
          ))}
      </section>

      <section aria-labelledby="health-heading">
        <h2 id="health-heading">Repository health</h2>
        <Pending what="repository health" loading={health.loading} error={health.error} hasData={!!health.data} onRetry={health.reload} />
        {health.data &&
          (health.data.items.length === 0 ? (
            <Empty>No repositories yet. Connect one on the Repositories page.</Empty>
          ) : (
            <TableScroll label="Repositories, least healthy first">
              <table>
                <caption class="sr-only">Repositories, least healthy first</caption>
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col">Health</th>
                    <th scope="col">Runs</th>
                    <th scope="col">Failure rate</th>
                    <th scope="col">Flaky rate</th>
                    <th scope="col">Open incidents</th>
                    <th scope="col">MTTR</th>
                  </tr>
                </thead>
                <tbody>
                  {health.data.items.map((h) => (
                    <tr key={h.repository} data-repository={h.repository}>
                      <td>{h.repository}</td>
                      <td>{h.health ?? '—'}</td>
                      <td>{count(h.runs)}</td>
                      <td>{percent(h.failure_rate)}</td>
                      <td>{percent(h.flaky_rate)}</td>
                      <td>{h.open_incidents}</td>
                      <td>{duration(h.mttr_seconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          ))}
      </section>
    </Page>
  );
}
