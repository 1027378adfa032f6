import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Badge } from '../components/Badge';
import { TrendChart } from '../components/TrendCharts';
import { SignatureTable } from '../components/SignatureTable';
import { IncidentTable } from './Incidents';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { Link } from '../router';
import { daysAgo } from '../format';

export function Overview() {
  const status = usePolled('/api/v1/status', (init) => api.GET('/api/v1/status', init), { every: 15_000 });
  const incidents = usePolled(
    '/api/v1/incidents?state=open&page_size=10',
    (init) => api.GET('/api/v1/incidents', { ...init, params: { query: { state: 'open', page_size: 10 } } }),
    { every: 3000 },
  );
  // Acknowledged incidents are still failing: someone is on them, but they are not over.
  const acknowledged = usePolled(
    '/api/v1/incidents?state=acknowledged&page_size=10',
    (init) => api.GET('/api/v1/incidents', { ...init, params: { query: { state: 'acknowledged', page_size: 10 } } }),
    { every: 3000 },
  );
  const fortnight = daysAgo(14);
  const daily = usePolled(
    `/api/v1/analytics/trends?bucket=day&since=${fortnight}`,
    (init) => api.GET('/api/v1/analytics/trends', { ...init, params: { query: { bucket: 'day', since: fortnight, page_size: 100 } } }),
    { every: 30_000 },
  );
  const threeDays = daysAgo(3);
  const hourly = usePolled(
    `/api/v1/analytics/trends?bucket=hour&since=${threeDays}`,
    (init) => api.GET('/api/v1/analytics/trends', { ...init, params: { query: { bucket: 'hour', since: threeDays, page_size: 100 } } }),
    { every: 30_000 },
  );
  const signatures = usePolled(
    `/api/v1/analytics/failure-signatures?since=${fortnight}&page_size=5`,
    (init) => api.GET('/api/v1/analytics/failure-signatures', { ...init, params: { query: { since: fortnight, page_size: 5 } } }),
    { every: 30_000 },
  );
  const degraded = status.data?.services.filter((s) => s.status !== 'operational') ?? [];

  return (
    <Page title="Overview">
      <section aria-labelledby="status-heading" class="card">
        <h2 id="status-heading">Status</h2>
        <Pending what="the status" loading={status.loading} error={status.error} hasData={!!status.data} onRetry={status.reload} />
        {status.data && (
          <p class="lead" data-overall-status={status.data.status}>
            Overall <Badge value={status.data.status} />{' '}
            {degraded.length > 0 ? `${degraded.length} degraded: ${degraded.map((s) => s.name).join(', ')}.` : 'Everything is operational.'}{' '}
            <Link href="/status">Status board</Link>
          </p>
        )}
      </section>

      <section aria-labelledby="incidents-heading">
        <h2 id="incidents-heading">Open incidents</h2>
        <Pending what="open incidents" loading={incidents.loading} error={incidents.error} hasData={!!incidents.data} onRetry={incidents.reload} />
        {incidents.data &&
          (incidents.data.items.length === 0 ? (
            <Empty>No open incidents. Every workflow's last run on each branch passed, or nothing has failed yet.</Empty>
          ) : (
            <>
              <IncidentTable items={incidents.data.items} caption="Open incidents, newest first" />
              {incidents.data.total > incidents.data.items.length && (
                <p>
                  <Link href="/incidents?state=open">All {incidents.data.total} open incidents</Link>
                </p>
              )}
            </>
          ))}
      </section>

      {acknowledged.data && acknowledged.data.items.length > 0 && (
        <section aria-labelledby="acknowledged-heading">
          <h2 id="acknowledged-heading">Acknowledged, still failing</h2>
          <IncidentTable items={acknowledged.data.items} caption="Acknowledged incidents, newest first" />
          {acknowledged.data.total > acknowledged.data.items.length && (
            <p>
              <Link href="/incidents?state=acknowledged">All {acknowledged.data.total} acknowledged incidents</Link>
            </p>
          )}
        </section>
      )}

      <section aria-labelledby="trends-heading">
        <h2 id="trends-heading">Trends</h2>
        <div class="grid-2">
          <div>
            <Pending what="the failure rate" loading={daily.loading} error={daily.error} hasData={!!daily.data} onRetry={daily.reload} />
            {daily.data && <TrendChart title="Failure rate per day, last 14 days" buckets={daily.data.items} metric="failure_rate" />}
          </div>
          <div>
            <Pending what="runs per hour" loading={hourly.loading} error={hourly.error} hasData={!!hourly.data} onRetry={hourly.reload} />
            {hourly.data && <TrendChart title="Runs per hour, last 3 days" buckets={hourly.data.items} metric="runs" />}
          </div>
        </div>
      </section>

      <section aria-labelledby="signatures-heading">
        <h2 id="signatures-heading">Most frequent failures, last 14 days</h2>
        <Pending what="failure signatures" loading={signatures.loading} error={signatures.error} hasData={!!signatures.data} onRetry={signatures.reload} />
        {signatures.data &&
          (signatures.data.items.length === 0 ? (
            <Empty>No failure signatures yet: they appear once Faultline has read a failing job's log.</Empty>
          ) : (
            <SignatureTable items={signatures.data.items} />
          ))}
        <p>
          <Link href="/analytics">More in Analytics</Link>
        </p>
      </section>
    </Page>
  );
}
