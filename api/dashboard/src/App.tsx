// Which page a path shows, and the sign-in guard in front of those that need a session.
import { useEffect, useState } from 'preact/hooks';
import { Layout } from './components/Layout';
import { Loading } from './components/States';
import { Page } from './components/Page';
import { sessionState, subscribe, type SessionState } from './api/session';
import { match, navigate, useLocation, type Route } from './router';
import { Overview } from './pages/Overview';
import { Runs } from './pages/Runs';
import { RunDetail } from './pages/RunDetail';
import { Incidents } from './pages/Incidents';
import { IncidentDetail } from './pages/IncidentDetail';
import { Analytics } from './pages/Analytics';
import { SignatureDetail } from './pages/SignatureDetail';
import { Repositories } from './pages/Repositories';
import { Status } from './pages/Status';
import { Sessions } from './pages/Sessions';
import { Notifications } from './pages/Notifications';
import { TwoFactor } from './pages/TwoFactor';
import { SignIn } from './pages/SignIn';
import { NotFound } from './pages/NotFound';

const routes: Route[] = [
  { pattern: /^\/$/, auth: true, render: () => <Overview /> },
  { pattern: /^\/runs\/?$/, auth: true, render: () => <Runs /> },
  { pattern: /^\/runs\/(\d+)\/?$/, auth: true, render: ([id]) => <RunDetailRoute runId={Number(id)} /> },
  { pattern: /^\/incidents\/?$/, auth: true, render: () => <Incidents /> },
  { pattern: /^\/incidents\/(\d+)\/?$/, auth: true, render: ([id]) => <IncidentDetail id={Number(id)} /> },
  { pattern: /^\/analytics\/?$/, auth: true, render: () => <AnalyticsRoute /> },
  { pattern: /^\/repositories\/?$/, auth: true, render: () => <Repositories /> },
  { pattern: /^\/notifications\/?$/, auth: true, render: () => <Notifications /> },
  { pattern: /^\/sessions\/?$/, auth: true, render: () => <Sessions /> },
  { pattern: /^\/two-factor\/?$/, auth: true, render: () => <TwoFactor /> },
  { pattern: /^\/status\/?$/, auth: false, render: () => <Status /> },
  { pattern: /^\/sign-in\/?$/, auth: false, render: () => <SignIn /> },
];

// A signature's page is /analytics?signature=…: the server answers index.html for /analytics,
// so the link works when opened directly too.
function AnalyticsRoute() {
  const signature = useLocation().query.get('signature');
  return signature && /^[0-9a-f]{16}$/.test(signature) ? <SignatureDetail signature={signature} /> : <Analytics />;
}

// A run's page is GitHub's run unless ?provider=gitlab says it is GitLab's pipeline of that id.
function RunDetailRoute({ runId }: { runId: number }) {
  const provider = useLocation().query.get('provider') === 'gitlab' ? 'gitlab' : 'github';
  return <RunDetail runId={runId} provider={provider} />;
}

function useSession(): SessionState {
  const [state, setState] = useState(sessionState);
  useEffect(() => subscribe(setState), []);
  return state;
}

export function App() {
  const location = useLocation();
  const session = useSession();
  const found = match(routes, location.path);
  const needsSignIn = found?.route.auth === true && session.status === 'signed-out';

  useEffect(() => {
    // Keep the whole address, query included, so sign-in returns to the same filtered view.
    if (needsSignIn) navigate(`/sign-in?next=${encodeURIComponent(location.href)}`, { replace: true });
  }, [needsSignIn, location.href]);

  useEffect(() => {
    // After a client-side navigation, move focus to the page so screen readers announce it.
    const main = document.getElementById('main');
    if (main && document.activeElement !== document.body) main.focus({ preventScroll: true });
  }, [location.path]);

  let page;
  if (!found) page = <NotFound />;
  else if (found.route.auth && session.status !== 'signed-in')
    page = (
      <Page title="Faultline">
        <Loading what="your session" />
      </Page>
    );
  else page = found.route.render(found.params);
  return (
    <Layout path={location.path} session={session}>
      {page}
    </Layout>
  );
}
