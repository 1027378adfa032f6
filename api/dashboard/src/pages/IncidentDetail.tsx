import type { components } from 'faultline-openapi';
import { useState } from 'preact/hooks';
import { Page } from '../components/Page';
import { Pending, Empty, ErrorBox } from '../components/States';
import { Time } from '../components/Time';
import { Badge } from '../components/Badge';
import { ProviderMark, runHref } from '../components/Provider';
import { FailureExcerpt } from '../components/FailureExcerpt';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { errorText, unwrap } from '../api/problem';
import { Link } from '../router';

type Detail = components['schemas']['IncidentDetail'];

/** The latest fix proposal that became a pull request, if any. */
function proposedFix(incident: Detail) {
  const made = (incident.fix_proposals ?? []).filter((p) => p.pull_request);
  const last = made[made.length - 1];
  return last?.pull_request ? { ...last.pull_request, state: last.state } : undefined;
}

interface Moment {
  what: string;
  at: string | null | undefined;
  note?: string;
}

/** What happened to the incident, as far as its fields tell. */
function moments(incident: Detail): Moment[] {
  const list: Moment[] = [{ what: 'Opened', at: incident.opened_at, note: `run ${incident.first_failed_run_id ?? '?'} failed` }];
  if (incident.occurrences > 1) {
    list.push({ what: 'Recurred', at: null, note: `${incident.occurrences - 1} more failing run(s), the latest ${incident.last_failed_run_id ?? '?'}` });
  }
  if (incident.issue?.number) list.push({ what: 'Issue linked', at: null, note: `GitHub issue #${incident.issue.number}` });
  if (incident.acknowledged_at) list.push({ what: 'Acknowledged', at: incident.acknowledged_at });
  if (incident.resolved_at) {
    const how = { run_succeeded: 'a later run succeeded', flaky: 'it passed on a re-run of the same commit (flaky)', manual: 'by a person' };
    list.push({ what: 'Resolved', at: incident.resolved_at, note: incident.resolution ? how[incident.resolution] : undefined });
  }
  return list;
}

export function IncidentDetail({ id }: { id: number }) {
  const incident = usePolled(
    `/api/v1/incidents/${id}`,
    (init) => api.GET('/api/v1/incidents/{id}', { ...init, params: { path: { id } } }),
    { every: 3000 },
  );
  const [busy, setBusy] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const act = async (action: 'acknowledge' | 'resolve') => {
    setBusy(action);
    setFailure(undefined);
    try {
      const init = { params: { path: { id } } };
      unwrap(
        action === 'acknowledge'
          ? await api.POST('/api/v1/incidents/{id}/acknowledge', init)
          : await api.POST('/api/v1/incidents/{id}/resolve', init),
      );
      incident.reload();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(undefined);
    }
  };
  const data = incident.data;
  const proposed = data && proposedFix(data);
  return (
    <Page title={`Incident #${id}`}>
      <p>
        <Link href="/incidents">← All incidents</Link>
      </p>
      {incident.status === 404 ? (
        <Empty>There is no incident #{id}.</Empty>
      ) : (
        <Pending what="the incident" loading={incident.loading} error={incident.error} hasData={!!data} onRetry={incident.reload} />
      )}
      {data && (
        <div data-incident-id={data.id} data-state={data.state}>
          <p class="lead">
            <strong>{data.workflow_name || data.workflow_key}</strong> failing on <strong>{data.branch}</strong> in{' '}
            <strong>{data.repository}</strong> <ProviderMark provider={data.provider} /> <Badge value={data.state} />
          </p>
          <div class="actions">
            <button type="button" class="primary" disabled={data.state !== 'open' || !!busy} onClick={() => void act('acknowledge')}>
              Acknowledge
            </button>
            <button type="button" disabled={data.state === 'resolved' || !!busy} onClick={() => void act('resolve')}>
              Resolve
            </button>
            {data.issue?.html_url && (
              <a href={data.issue.html_url}>
                GitHub issue #{data.issue.number}
                {data.issue.closed ? ' (closed)' : ''}
              </a>
            )}
            {proposed && (
              <a href={proposed.html_url} data-testid="fix-proposal">
                Proposed fix: pull request #{proposed.number} ({proposed.state === 'opened' ? 'draft' : proposed.state})
              </a>
            )}
          </div>
          {failure && <ErrorBox message={failure} />}
          <dl class="facts">
            <div>
              <dt>Failing runs</dt>
              <dd>{data.occurrences}</dd>
            </div>
            <div>
              <dt>Category</dt>
              <dd>{data.category ?? 'not known yet'}</dd>
            </div>
            <div>
              <dt>Signature</dt>
              <dd class="mono">{data.signature ?? 'not known yet'}</dd>
            </div>
          </dl>
          <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <ol class="events">
              {moments(data).map((m) => (
                <li key={m.what}>
                  <strong>{m.what}</strong> {m.at && <Time value={m.at} />} {m.note && <span class="muted">— {m.note}</span>}
                </li>
              ))}
            </ol>
          </section>
          <section aria-labelledby="failure-heading">
            <h2 id="failure-heading">Where it failed</h2>
            <FailureExcerpt context={data.failure_context} />
          </section>
          <section aria-labelledby="runs-heading">
            <h2 id="runs-heading">Runs</h2>
            {data.runs.length === 0 ? (
              <Empty>No run is linked to this incident.</Empty>
            ) : (
              <ul class="plain">
                {data.runs.map((r) => (
                  <li key={`${r.run_id}-${r.role}`} data-run-id={r.run_id}>
                    <Link href={runHref(r.run_id, data.provider)}>
                      {data.provider === 'gitlab' ? 'Pipeline' : 'Run'} {r.run_id}
                    </Link>{' '}
                    <span class="muted">
                      {r.role.replace(/_/g, ' ')}
                      {r.run_attempt > 1 ? `, attempt ${r.run_attempt}` : ''}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {data.github_calls.length > 0 && (
            <details>
              <summary>GitHub calls ({data.github_calls.length})</summary>
              <ul class="plain mono small">
                {data.github_calls.map((c, i) => (
                  <li key={i}>
                    {c.method} {c.path} → {c.status ?? 'no answer'}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </Page>
  );
}
