import { TableScroll } from '../components/TableScroll';
// Connected repositories for everyone; for administrators also the GitHub OAuth flow:
// Connect GitHub → GitHub → back here with ?code&state → finish → pick repositories to connect.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { components } from 'faultline-openapi';
import { Page } from '../components/Page';
import { Pending, Empty, ErrorBox } from '../components/States';
import { Time } from '../components/Time';
import { Pager } from '../components/Pager';
import { api } from '../api/client';
import { usePolled } from '../api/poll';
import { errorText, unwrap } from '../api/problem';
import { sessionState } from '../api/session';
import { navigate, useLocation } from '../router';

type Repository = components['schemas']['Repository'];

const tokenSources: Record<Repository['token_source'], string> = {
  repository: 'its own token',
  connection: 'a GitHub connection',
  default: 'the default token',
  none: 'no token',
};

/** Finishes the OAuth flow once when GitHub has sent the browser back with code and state. */
function useOAuthReturn(onDone: () => void): { finishing: boolean; message: string | undefined; failure: string | undefined } {
  const { path, query } = useLocation();
  const code = query.get('code');
  const state = query.get('state');
  const started = useRef(false);
  const [finishing, setFinishing] = useState(false);
  const [message, setMessage] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const refused = query.get('error');
  useEffect(() => {
    if (refused && !started.current) {
      // GitHub sends the user back with ?error=access_denied when they decline.
      started.current = true;
      setFailure(`GitHub did not connect: ${query.get('error_description') ?? refused}.`);
      navigate(path, { replace: true, keepScroll: true });
      return;
    }
    if (!code || !state || started.current) return;
    started.current = true; // the state is single use: never send it twice
    setFinishing(true);
    api
      .GET('/api/v1/oauth/github/callback', { params: { query: { code, state } } })
      .then((result) => {
        const connection = unwrap(result);
        setMessage(`Connected to GitHub as ${connection.login}. Choose repositories below.`);
        onDone();
      })
      .catch((error: unknown) => setFailure(`GitHub connection failed: ${errorText(error)}`))
      .finally(() => {
        setFinishing(false);
        navigate(path, { replace: true, keepScroll: true }); // drop the code from the address bar
      });
  }, [code, state, refused]);
  return { finishing, message, failure };
}

function GitHubPanel({ onConnected }: { onConnected: () => void }) {
  const [generation, setGeneration] = useState(0);
  const oauth = useOAuthReturn(() => setGeneration((g) => g + 1));
  // The list, not /oauth/github/connection: that answers 404 when there is none, a console error in browsers.
  const connections = usePolled(`/api/v1/oauth/connections#${generation}`, (init) => api.GET('/api/v1/oauth/connections', init));
  const github = connections.data?.items.find((c) => c.provider === 'github');
  const connection = { ...connections, data: github, status: connections.data && !github ? 404 : connections.status };
  const [page, setPage] = useState(1);
  const connected = !!connection.data;
  const repos = usePolled(connected ? `/api/v1/repositories/github?page=${page}#${generation}` : null, (init) =>
    api.GET('/api/v1/repositories/github', { ...init, params: { query: { page, page_size: 50, sort: 'pushed' } } }),
  );
  const [busy, setBusy] = useState<string>();
  const [failure, setFailure] = useState<string>();

  const authorize = async () => {
    setFailure(undefined);
    setBusy('authorize');
    try {
      const grant = unwrap(await api.POST('/api/v1/oauth/github/authorize'));
      location.assign(grant.authorization_url);
    } catch (error) {
      setFailure(errorText(error));
      setBusy(undefined);
    }
  };
  const connect = async (fullName: string) => {
    setFailure(undefined);
    setBusy(fullName);
    try {
      unwrap(await api.POST('/api/v1/repositories', { body: { full_name: fullName, create_webhook: true } }));
      repos.reload();
      onConnected();
    } catch (error) {
      setFailure(`Could not connect ${fullName}: ${errorText(error)}`);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section aria-labelledby="github-heading" class="card">
      <h2 id="github-heading">GitHub</h2>
      {oauth.finishing && <p role="status">Finishing the GitHub connection…</p>}
      {oauth.message && (
        <p class="notice" role="status">
          {oauth.message}
        </p>
      )}
      {oauth.failure && <ErrorBox message={oauth.failure} />}
      {failure && <ErrorBox message={failure} />}
      {connection.status === 404 || (!connection.data && !connection.loading) ? (
        <>
          <p>Connect your GitHub account to list its repositories and connect them in one click (Faultline creates their webhook).</p>
          {connection.status !== 404 && connection.error && <ErrorBox message={connection.error} />}
          <button type="button" class="primary" disabled={busy === 'authorize'} onClick={() => void authorize()}>
            Connect GitHub
          </button>
        </>
      ) : connection.data ? (
        <>
          <p>
            Connected as <strong>{connection.data.login}</strong>
            {connection.data.scopes ? ` (scopes: ${connection.data.scopes})` : ''}.{' '}
            <button type="button" disabled={busy === 'authorize'} onClick={() => void authorize()}>
              Connect GitHub again
            </button>
          </p>
          <h3>Your GitHub repositories</h3>
          <Pending what="your GitHub repositories" loading={repos.loading} error={repos.error} hasData={!!repos.data} onRetry={repos.reload} />
          {repos.data &&
            (repos.data.items.length === 0 ? (
              <Empty>This GitHub account sees no repositories.</Empty>
            ) : (
              <>
                <TableScroll label="Repositories the GitHub account can see">
                  <table>
                    <caption class="sr-only">Repositories the GitHub account can see</caption>
                    <thead>
                      <tr>
                        <th scope="col">Repository</th>
                        <th scope="col">Visibility</th>
                        <th scope="col">Last push</th>
                        <th scope="col">
                          <span class="sr-only">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {repos.data.items.map((r) => {
                        const name = r.full_name ?? `#${r.id}`;
                        const rowId = `github-repo-${r.id}`;
                        return (
                          <tr key={r.id} data-github-repository={name}>
                            <td id={rowId}>
                              {r.html_url ? <a href={r.html_url}>{name}</a> : name}
                              {r.description && <div class="muted small">{r.description}</div>}
                            </td>
                            <td>{r.private ? 'private' : 'public'}</td>
                            <td>
                              <Time value={r.pushed_at} />
                            </td>
                            <td>
                              {r.connected ? (
                                <span class="muted">connected</span>
                              ) : !r.admin ? (
                                <span class="muted">needs admin rights to add a webhook</span>
                              ) : (
                                <button type="button" aria-describedby={rowId} disabled={busy === name || !r.full_name} onClick={() => void connect(name)}>
                                  Connect
                                </button>
                              )}
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </TableScroll>
                <Pager page={repos.data.page} pages={repos.data.pages} total={repos.data.total} label="GitHub repositories" onPage={setPage} />
              </>
            ))}
        </>
      ) : (
        <Pending what="the GitHub connection" loading={connection.loading} error={connection.error} hasData={false} />
      )}
    </section>
  );
}

export function Repositories() {
  const session = sessionState();
  const admin = session.status === 'signed-in' && session.user.role === 'admin';
  const repositories = usePolled('/api/v1/repositories?page_size=100', (init) =>
    api.GET('/api/v1/repositories', { ...init, params: { query: { page_size: 100 } } }), { every: 10_000 },
  );
  const [busy, setBusy] = useState<number>();
  const [failure, setFailure] = useState<string>();
  const disconnect = async (repository: Repository) => {
    setFailure(undefined);
    setBusy(repository.id);
    try {
      unwrap(await api.DELETE('/api/v1/repositories/{id}', { params: { path: { id: repository.id } } }));
      repositories.reload();
    } catch (error) {
      setFailure(`Could not disconnect ${repository.full_name}: ${errorText(error)}`);
    } finally {
      setBusy(undefined);
    }
  };
  const items = repositories.data?.items ?? [];

  return (
    <Page title="Repositories">
      {admin && <GitHubPanel onConnected={repositories.reload} />}
      <section aria-labelledby="connected-heading">
        <h2 id="connected-heading">Repositories Faultline knows</h2>
        {!admin && <p class="muted">Only administrators connect and disconnect repositories.</p>}
        {failure && <ErrorBox message={failure} />}
        <Pending what="repositories" loading={repositories.loading} error={repositories.error} hasData={!!repositories.data} onRetry={repositories.reload} />
        {repositories.data &&
          (items.length === 0 ? (
            <Empty>
              No repositories yet.{' '}
              {admin ? 'Connect GitHub above, or send a webhook (scripts/send-example).' : 'Ask an administrator to connect one.'}
            </Empty>
          ) : (
            <TableScroll label="Repositories">
              <table>
                <caption class="sr-only">Repositories</caption>
                <thead>
                  <tr>
                    <th scope="col">Repository</th>
                    <th scope="col">Connected</th>
                    <th scope="col">Webhook</th>
                    <th scope="col">Token</th>
                    <th scope="col">Last event</th>
                    {admin && (
                      <th scope="col">
                        <span class="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {items.map((r) => (
                    <tr key={r.id} data-repository={r.full_name} data-connected={String(r.connected)}>
                      <td id={`repo-${r.id}`}>{r.full_name}</td>
                      <td>{r.connected ? 'connected' : 'not connected'}</td>
                      <td>{r.hook_id ? `hook ${r.hook_id}${r.hook_managed ? ' (made by Faultline)' : ''}` : 'none'}</td>
                      <td>{tokenSources[r.token_source]}</td>
                      <td>
                        <Time value={r.last_seen} />
                      </td>
                      {admin && (
                        <td>
                          {r.connected && (
                            <button type="button" aria-describedby={`repo-${r.id}`} disabled={busy === r.id} onClick={() => void disconnect(r)}>
                              Disconnect
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          ))}
      </section>
    </Page>
  );
}
