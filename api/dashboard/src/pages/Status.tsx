// The public status board: readable across a room, no sign-in needed.
import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Time } from '../components/Time';
import { Badge } from '../components/Badge';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import type { components } from 'faultline-openapi';

type ServiceStatus = components['schemas']['Status']['services'][number];

// One line of the board; the data-* attribute says whether it is a service or a repository.
function WallEntry({ entry, ...data }: { entry: ServiceStatus; 'data-service'?: string; 'data-repository'?: string }) {
  return (
    <li {...data} data-status={entry.status}>
      <span class="wall-name">{entry.name}</span> <Badge value={entry.status} />
      {entry.message && <span class="wall-message">{entry.message}</span>}
      <span class="muted">
        since <Time value={entry.since} />
      </span>
    </li>
  );
}

export function Status() {
  // The answer is public with max-age=15; polling faster would only see the same thing.
  const status = usePolled('/api/v1/status', (init) => api.GET('/api/v1/status', init), { every: 15_000, trackTime: true });
  const data = status.data;
  // When the answer last arrived, so a wall screen shows it is alive.
  const checkedAt = status.checkedAt;
  const repositories = data?.services.filter((s) => s.source === 'incidents') ?? [];
  const services = data?.services.filter((s) => s.source !== 'incidents') ?? [];
  return (
    <Page title="Status">
      <Pending what="the status" loading={status.loading} error={status.error} hasData={!!data} onRetry={status.reload} />
      {data && (
        <div class="wall">
          <p class={`wall-overall wall-${data.status}`} data-overall-status={data.status}>
            Overall: <strong>{data.status.replace(/_/g, ' ')}</strong>
          </p>
          <p class="muted" aria-live="off">
            Checked {checkedAt ? <Time value={checkedAt} /> : 'just now'}; this page refreshes by itself.
          </p>
          <section aria-labelledby="services-heading">
            <h2 id="services-heading">Services</h2>
            {services.length === 0 ? (
              <Empty>No service has reported a status event; every service is taken as operational.</Empty>
            ) : (
              <ul class="wall-list">
                {services.map((s) => (
                  <WallEntry key={s.name} entry={s} data-service={s.name} />
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="repos-heading">
            <h2 id="repos-heading">Repositories</h2>
            {repositories.length === 0 ? (
              <Empty>Every repository is operational: no open or acknowledged incident.</Empty>
            ) : (
              <ul class="wall-list">
                {repositories.map((s) => (
                  <WallEntry key={s.name} entry={s} data-repository={s.name} />
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </Page>
  );
}
