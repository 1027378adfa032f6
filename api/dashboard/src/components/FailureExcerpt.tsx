// The failing jobs' log lines as Faultline read them, error lines marked.
import type { components } from 'faultline-openapi';

type FailureContext = components['schemas']['FailureContext'];

// The same kinds of lines the signature step takes for errors (processors/failure_signature.cpp).
const errorLine = /##\[error\]|\berror\b|\bfailed\b|npm ERR!|^E {3}|--- FAIL|exit code|\bFAIL\b|panic:|Traceback/i;

function isErrorLine(line: string): boolean {
  return errorLine.test(line);
}

export function FailureExcerpt({ context }: { context: FailureContext | undefined }) {
  const jobs = context?.jobs ?? [];
  // The container is there even while empty, so a test or a reader polling for the excerpt finds it.
  if (jobs.length === 0) {
    return (
      <div data-testid="failure-excerpt" class="excerpts">
        <p class="muted">No failure excerpt yet: Faultline reads the failing job's log when it opens the GitHub issue.</p>
      </div>
    );
  }
  return (
    <div data-testid="failure-excerpt" class="excerpts">
      {jobs.map((job, index) => (
        <section key={job.id ?? index} class="excerpt" aria-label={`Log excerpt of ${job.name || 'a failing job'}`}>
          <h3>
            {job.html_url ? <a href={job.html_url}>{job.name || 'Job'}</a> : (job.name || 'Job')}
            {job.step && <span class="muted"> — step “{job.step}”</span>}
          </h3>
          {job.log_available === false || !job.lines?.length ? (
            <p class="muted">GitHub no longer has this job's log.</p>
          ) : (
            <pre class="log" tabIndex={0} aria-label={`Log lines of ${job.name || 'the job'}; error lines are highlighted`}>
              <code>
                {job.lines.map((line, n) =>
                  isErrorLine(line) ? (
                    <mark key={n} class="log-line log-error" data-error-line="">
                      {line}
                      {'\n'}
                    </mark>
                  ) : (
                    <span key={n} class="log-line">
                      {line}
                      {'\n'}
                    </span>
                  ),
                )}
              </code>
            </pre>
          )}
          {job.truncated && <p class="muted small">The excerpt was cut to its limit; the full log is on GitHub.</p>}
        </section>
      ))}
    </div>
  );
}
