// A run, job, incident or service state as a word with a colour; the word carries the meaning.
const tone: Record<string, string> = {
  success: 'good',
  operational: 'good',
  resolved: 'good',
  completed: 'neutral',
  failure: 'bad',
  timed_out: 'bad',
  startup_failure: 'bad',
  major_outage: 'bad',
  partial_outage: 'bad',
  open: 'bad',
  degraded: 'warn',
  acknowledged: 'warn',
  in_progress: 'info',
  queued: 'info',
  waiting: 'info',
  requested: 'info',
  pending: 'info',
  maintenance: 'info',
  cancelled: 'neutral',
  skipped: 'neutral',
};

export function Badge({ value }: { value: string | null | undefined }) {
  if (!value) return <span class="badge badge-neutral">—</span>;
  return <span class={`badge badge-${tone[value] ?? 'neutral'}`}>{value.replace(/_/g, ' ')}</span>;
}
