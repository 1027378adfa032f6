import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Time } from '../components/Time';
import { TableScroll } from '../components/TableScroll';
import { ProviderMark, runHref } from '../components/Provider';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { Link } from '../router';

export function SignatureDetail({ signature }: { signature: string }) {
  const detail = usePolled(
    `/api/v1/analytics/failure-signatures/${signature}`,
    (init) => api.GET('/api/v1/analytics/failure-signatures/{signature}', { ...init, params: { path: { signature } } }),
    { every: 30_000 },
  );
  const data = detail.data;
  return (
    <Page title={`Failure ${signature}`}>
      <p>
        <Link href="/analytics">← Analytics</Link>
      </p>
      {detail.status === 404 ? (
        <Empty>Faultline has not seen failure {signature} in this window.</Empty>
      ) : (
        <Pending what="the failure" loading={detail.loading} error={detail.error} hasData={!!data} onRetry={detail.reload} />
      )}
      {data && (
        <>
          <pre class="log" tabIndex={0} aria-label="The error lines, normalised">
            <code>{data.normalized_error}</code>
          </pre>
          <dl class="facts" data-signature={data.signature}>
            <div>
              <dt>Category</dt>
              <dd>{data.category}</dd>
            </div>
            <div>
              <dt>Failures in window</dt>
              <dd>{data.occurrences}</dd>
            </div>
            <div>
              <dt>Repositories</dt>
              <dd>{data.repositories}</dd>
            </div>
            <div>
              <dt>Open incidents</dt>
              <dd>{data.open_incidents}</dd>
            </div>
            <div>
              <dt>First seen</dt>
              <dd>
                <Time value={data.first_seen} />
              </dd>
            </div>
            <div>
              <dt>Last seen</dt>
              <dd>
                <Time value={data.last_seen} />
              </dd>
            </div>
          </dl>
          <h2>Latest failing jobs</h2>
          {data.recent.length === 0 ? (
            <Empty>No failing job with this signature in the window.</Empty>
          ) : (
            <TableScroll label="Latest failing jobs with this signature">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Repository</th>
                    <th scope="col">Job</th>
                    <th scope="col">Step</th>
                    <th scope="col">First error line</th>
                    <th scope="col">Incident</th>
                  </tr>
                </thead>
                <tbody>
                  {data.recent.map((r) => (
                    <tr key={r.job_id} data-run-id={r.run_id}>
                      <td>
                        <Time value={r.failed_at} />
                      </td>
                      <td>
                        {r.repository ?? '—'} <ProviderMark provider={r.provider} />
                      </td>
                      <td>
                        <Link href={runHref(r.run_id, r.provider)}>{r.job}</Link>
                      </td>
                      <td>{r.step}</td>
                      <td>
                        <code class="wrap">{r.first_line}</code>
                      </td>
                      <td>{r.incident_id ? <Link href={`/incidents/${r.incident_id}`}>#{r.incident_id}</Link> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </>
      )}
    </Page>
  );
}
