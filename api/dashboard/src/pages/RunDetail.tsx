import type { components } from 'faultline-openapi';
import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Time } from '../components/Time';
import { Badge } from '../components/Badge';
import { ProviderMark, providerName, type Provider } from '../components/Provider';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { Link } from '../router';
import { between, duration } from '../format';
import { RunFailure, failing } from './RunFailure';
import { Rerun } from './Rerun';

type Job = components['schemas']['WorkflowJob'];

const ms = (t: string | null | undefined) => (t ? new Date(t).getTime() : null);

/** Each job as a bar on one time axis: waiting in the queue, then running. */
function JobTimeline({ jobs }: { jobs: Job[] }) {
  const times = jobs.flatMap((j) => [ms(j.created_at), ms(j.started_at), ms(j.completed_at)]).filter((t): t is number => t !== null);
  const start = times.length ? Math.min(...times) : Date.now();
  // A job still running stretches the axis to now.
  const running = jobs.some((j) => j.started_at && !j.completed_at);
  const end = Math.max(start, ...times, running ? Date.now() : start);
  const span = Math.max(1, end - start);
  const at = (t: number | null) => (t === null ? null : ((t - start) / span) * 100);
  return (
    <ol class="timeline" aria-label="Jobs from queued to completed">
      {jobs.map((job) => {
        const queued = at(ms(job.created_at)) ?? 0;
        const started = at(ms(job.started_at));
        const completed = at(ms(job.completed_at));
        const runningTo = completed ?? (started !== null ? 100 : null);
        return (
          <li key={job.job_id} class="timeline-row" data-job-id={job.job_id}>
            <div class="timeline-label">
              {job.html_url ? <a href={job.html_url}>{job.name || `Job ${job.job_id}`}</a> : (job.name || `Job ${job.job_id}`)}{' '}
              <Badge value={job.status === 'completed' ? job.conclusion : job.status} />
            </div>
            <div class="timeline-track" aria-hidden="true">
              <span class="bar bar-queue" style={{ left: `${queued}%`, width: `${Math.max(0.5, (started ?? runningTo ?? 100) - queued)}%` }} />
              {started !== null && runningTo !== null && (
                <span
                  class={`bar bar-run bar-${job.conclusion ?? 'running'}`}
                  style={{ left: `${started}%`, width: `${Math.max(0.5, runningTo - started)}%` }}
                />
              )}
            </div>
            <dl class="timeline-times">
              <div>
                <dt>Queued</dt>
                <dd>
                  <Time value={job.created_at} />
                </dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>
                  <Time value={job.started_at} /> <span class="muted">(waited {duration(between(job.created_at, job.started_at))})</span>
                </dd>
              </div>
              <div>
                <dt>Completed</dt>
                <dd>
                  <Time value={job.completed_at} /> <span class="muted">(ran {duration(between(job.started_at, job.completed_at))})</span>
                </dd>
              </div>
            </dl>
          </li>
        );
      })}
    </ol>
  );
}

export function RunDetail({ runId, provider }: { runId: number; provider: Provider }) {
  const run = usePolled(
    `/api/v1/workflow-runs/${runId}?provider=${provider}`,
    (init) => api.GET('/api/v1/workflow-runs/{run_id}', { ...init, params: { path: { run_id: runId }, query: { provider } } }),
    { every: 3000 },
  );
  const data = run.data;
  const kind = provider === 'gitlab' ? 'Pipeline' : 'Run';
  const title = data ? `${data.name || kind} #${runId}` : `${kind} ${runId}`;
  return (
    <Page title={title}>
      <p>
        <Link href="/runs">← All runs</Link>
      </p>
      {run.status === 404 ? (
        <Empty>
          Faultline has no {providerName(provider)} {kind.toLowerCase()} {runId}. It may belong to a repository that is not connected.
        </Empty>
      ) : (
        <Pending what="the run" loading={run.loading} error={run.error} hasData={!!data} onRetry={run.reload} />
      )}
      {data && (
        <>
          <dl class="facts" data-run-id={data.run_id}>
            <div>
              <dt>Repository</dt>
              <dd>
                {data.repository} <ProviderMark provider={data.provider} />
              </dd>
            </div>
            <div>
              <dt>Branch</dt>
              <dd>{data.head_branch ?? '—'}</dd>
            </div>
            <div>
              <dt>Commit</dt>
              <dd class="mono">{data.head_sha?.slice(0, 12) ?? '—'}</dd>
            </div>
            <div>
              <dt>Event</dt>
              <dd>{data.event ?? '—'}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd>
                <Badge value={data.status} /> <Badge value={data.conclusion} />
              </dd>
            </div>
            <div>
              <dt>Attempt</dt>
              <dd>{data.run_attempt}</dd>
            </div>
            <div>
              <dt>Started</dt>
              <dd>
                <Time value={data.run_started_at ?? data.created_at} />
              </dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>
                <Time value={data.updated_at} />
              </dd>
            </div>
          </dl>
          {data.html_url && (
            <p>
              <a href={data.html_url}>
                Open the {kind.toLowerCase()} on {providerName(data.provider)}
              </a>
            </p>
          )}
          {data.status === 'completed' && data.provider === 'github' && <Rerun runId={data.run_id} failed={!!data.conclusion && failing.has(data.conclusion)} />}
          {data.conclusion && failing.has(data.conclusion) && (
            <section aria-labelledby="failure-heading">
              <h2 id="failure-heading">Where it failed</h2>
              <RunFailure run={data} />
            </section>
          )}
          <section aria-labelledby="jobs-heading">
            <h2 id="jobs-heading">Jobs</h2>
            {data.jobs.length === 0 ? <Empty>No job of this run has been reported yet.</Empty> : <JobTimeline jobs={data.jobs} />}
          </section>
        </>
      )}
    </Page>
  );
}
