import type { components } from 'faultline-openapi';
import { TableScroll } from '../components/TableScroll';
import { Page } from '../components/Page';
import { Pending, Empty } from '../components/States';
import { Time } from '../components/Time';
import { Badge } from '../components/Badge';
import { Pager } from '../components/Pager';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { Link, navigate, useLocation, withQuery } from '../router';
import { pageFrom } from './runFilters';

type Incident = components['schemas']['Incident'];
type State = Incident['state'];
const states: State[] = ['open', 'acknowledged', 'resolved'];

/** Incidents as a table; also used by the overview for the open ones. */
export function IncidentTable({ items, caption }: { items: Incident[]; caption: string }) {
  return (
    <TableScroll label={caption}>
      <table class="incidents">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Incident</th>
            <th scope="col">Repository</th>
            <th scope="col">Workflow</th>
            <th scope="col">Branch</th>
            <th scope="col">State</th>
            <th scope="col">Since</th>
            <th scope="col">Failures</th>
            <th scope="col">Category</th>
          </tr>
        </thead>
        <tbody>
          {items.map((incident) => (
            <tr key={incident.id} data-incident-id={incident.id} data-state={incident.state}>
              <td>
                <Link href={`/incidents/${incident.id}`}>#{incident.id}</Link>
              </td>
              <td>{incident.repository}</td>
              <td>{incident.workflow_name || incident.workflow_key}</td>
              <td>{incident.branch}</td>
              <td>
                <Badge value={incident.state} />
              </td>
              <td>
                <Time value={incident.opened_at} />
              </td>
              <td>{incident.occurrences}</td>
              <td>{incident.category ?? <span class="muted">not known yet</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function Incidents() {
  const { path, query } = useLocation();
  const requested = query.get('state');
  const state = states.find((s) => s === requested);
  const page = pageFrom(query);
  const key = withQuery('/api/v1/incidents', new URLSearchParams(), { state, page: String(page) });
  const incidents = usePolled(
    key,
    (init) => api.GET('/api/v1/incidents', { ...init, params: { query: { ...(state ? { state } : {}), page, page_size: 50 } } }),
    { every: 3000 },
  );
  const data = incidents.data;
  return (
    <Page title="Incidents">
      <nav class="tabs" aria-label="Incident state">
        {[undefined, ...states].map((s) => (
          <Link
            key={s ?? 'all'}
            href={withQuery(path, new URLSearchParams(), { state: s })}
            {...(s === state ? { 'aria-current': 'page' as const } : {})}
          >
            {s ? s[0]!.toUpperCase() + s.slice(1) : 'All'}
          </Link>
        ))}
      </nav>
      <Pending what="incidents" loading={incidents.loading} error={incidents.error} hasData={!!data} onRetry={incidents.reload} />
      {data && data.items.length === 0 && (
        <Empty>
          {state
            ? `No ${state} incidents.`
            : 'No incidents yet. Faultline opens one when a workflow fails on a branch; send a failing run with scripts/send-example to see one.'}
        </Empty>
      )}
      {data && data.items.length > 0 && (
        <>
          <IncidentTable items={data.items} caption={`${state ?? 'All'} incidents, newest first`} />
          <Pager
            page={data.page}
            pages={data.pages}
            total={data.total}
            label="Incidents"
            onPage={(p) => navigate(withQuery(path, query, { page: p > 1 ? String(p) : undefined }), { keepScroll: true })}
          />
        </>
      )}
    </Page>
  );
}
