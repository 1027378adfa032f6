// Where a failed run failed. The run's own answer carries no log excerpt; the incident it
// belongs to does, so the run page finds that incident (same repository, workflow and branch,
// naming this run) and shows its excerpt when the excerpt is this run's.
import type { components } from 'faultline-openapi';
import { Empty } from '../components/States';
import { FailureExcerpt } from '../components/FailureExcerpt';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { Link } from '../router';
import { providerName, runHref } from '../components/Provider';

type Run = components['schemas']['WorkflowRun'];
type Incident = components['schemas']['Incident'];

export const failing = new Set(['failure', 'timed_out', 'startup_failure']);

function sameWorkflow(incident: Incident, run: Run): boolean {
  const byId = run.workflow_id !== null && run.workflow_id !== undefined && incident.workflow_key === String(run.workflow_id);
  return (byId || (!!run.name && incident.workflow_name === run.name)) && incident.branch === run.head_branch;
}

export function RunFailure({ run }: { run: Run }) {
  const list = usePolled(
    `/api/v1/incidents?repository=${run.repository}&page_size=100`,
    (init) => api.GET('/api/v1/incidents', { ...init, params: { query: { repository: run.repository, page_size: 100 } } }),
    { every: 10_000 },
  );
  // Newest first: the first incident of this workflow and branch opened at or before this run.
  const candidate = list.data?.items.find(
    (i) => i.provider === run.provider && sameWorkflow(i, run) && (i.first_failed_run_id ?? 0) <= run.run_id,
  );
  const detail = usePolled(
    candidate ? `/api/v1/incidents/${candidate.id}` : null,
    (init) => api.GET('/api/v1/incidents/{id}', { ...init, params: { path: { id: candidate?.id ?? 0 } } }),
    { every: 10_000 },
  );
  const incident = detail.data?.runs.some((r) => r.run_id === run.run_id) ? detail.data : undefined;
  if (list.loading || detail.loading) return <p class="muted">Looking for where it failed…</p>;
  if (!incident) {
    return (
      <Empty>
        No incident names this run yet, so Faultline has no log excerpt for it. Open the run on {providerName(run.provider)} for its
        log.
      </Empty>
    );
  }
  const context = incident.failure_context;
  const own = context?.run_id === undefined || context.run_id === run.run_id;
  return (
    <>
      <p>
        Part of <Link href={`/incidents/${incident.id}`}>incident #{incident.id}</Link>
        {incident.category ? `, cause: ${incident.category}` : ''}.
      </p>
      {own ? (
        <FailureExcerpt context={context} />
      ) : (
        <>
          <p class="muted">
            The excerpt Faultline keeps is from run <Link href={runHref(context?.run_id ?? 0, run.provider)}>{context?.run_id}</Link>, the incident's
            first read failure:
          </p>
          <FailureExcerpt context={context} />
        </>
      )}
    </>
  );
}
