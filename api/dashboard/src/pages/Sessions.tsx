import { TableScroll } from '../components/TableScroll';
import { useState } from 'preact/hooks';
import { Page } from '../components/Page';
import { Pending, ErrorBox } from '../components/States';
import { Time } from '../components/Time';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { errorText, unwrap } from '../api/problem';

export function Sessions() {
  const sessions = usePolled('/api/v1/auth/sessions?page_size=100', (init) =>
    api.GET('/api/v1/auth/sessions', { ...init, params: { query: { page_size: 100 } } }),
  );
  const [failure, setFailure] = useState<string>();
  const revoke = async (id: string) => {
    setFailure(undefined);
    try {
      unwrap(await api.POST('/api/v1/auth/sessions/{id}/revoke', { params: { path: { id } } }));
      sessions.reload();
    } catch (error) {
      setFailure(errorText(error));
    }
  };
  const revokeOthers = async () => {
    setFailure(undefined);
    try {
      unwrap(await api.POST('/api/v1/auth/sessions/revoke-others'));
      sessions.reload();
    } catch (error) {
      setFailure(errorText(error));
    }
  };
  const items = sessions.data?.items ?? [];
  const others = items.filter((s) => !s.is_current).length;
  return (
    <Page
      title="Sessions"
      actions={
        others > 0 && (
          <button type="button" onClick={() => void revokeOthers()}>
            End all other sessions
          </button>
        )
      }
    >
      <p class="muted">Every place you are signed in. Revoking one signs that device out within a few seconds.</p>
      {failure && <ErrorBox message={failure} />}
      <Pending what="your sessions" loading={sessions.loading} error={sessions.error} hasData={!!sessions.data} onRetry={sessions.reload} />
      {sessions.data && (
        <TableScroll label="Your sessions">
          <table>
            <caption class="sr-only">Your sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id} data-session-id={s.id}>
                  <td id={`session-${s.id}-device`}>
                    {s.user_agent ?? 'Unknown device'}
                    {s.is_current && <strong class="tag"> this session</strong>}
                  </td>
                  <td>{s.ip ?? '—'}</td>
                  <td>
                    <Time value={s.created_at} />
                  </td>
                  <td>
                    <Time value={s.last_used_at} relative />
                  </td>
                  <td>
                    <Time value={s.expires_at} />
                  </td>
                  <td>
                    {!s.is_current && (
                      <button type="button" onClick={() => void revoke(s.id)} aria-describedby={`session-${s.id}-device`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Page>
  );
}
