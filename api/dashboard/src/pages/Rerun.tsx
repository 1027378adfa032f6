import { useState } from 'preact/hooks';
import { ErrorBox } from '../components/States';
import { api } from '../api/client';
import { errorText, unwrap } from '../api/problem';

/** Asks GitHub to run a completed run again; the new attempt then arrives as webhooks. */
export function Rerun({ runId, failed }: { runId: number; failed: boolean }) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const rerun = async (failedJobsOnly: boolean) => {
    setBusy(true);
    setDone(undefined);
    setFailure(undefined);
    try {
      unwrap(
        await api.POST('/api/v1/workflow-runs/{run_id}/rerun', {
          params: { path: { run_id: runId } },
          body: { failed_jobs_only: failedJobsOnly },
        }),
      );
      setDone('GitHub accepted the re-run; the new attempt appears here as it starts.');
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <div class="actions">
        {failed && (
          <button type="button" class="primary" disabled={busy} onClick={() => void rerun(true)}>
            Re-run failed jobs
          </button>
        )}
        <button type="button" disabled={busy} onClick={() => void rerun(false)}>
          Re-run all jobs
        </button>
      </div>
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      {failure && <ErrorBox message={failure} />}
    </>
  );
}
