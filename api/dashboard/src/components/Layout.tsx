import type { ComponentChildren } from 'preact';
import { Link, navigate } from '../router';
import { signOut, type SessionState } from '../api/session';

const sections = [
  { href: '/', label: 'Overview' },
  { href: '/runs', label: 'Runs' },
  { href: '/incidents', label: 'Incidents' },
  { href: '/analytics', label: 'Analytics' },
  { href: '/repositories', label: 'Repositories' },
  { href: '/notifications', label: 'Notifications' },
  { href: '/status', label: 'Status' },
  { href: '/sessions', label: 'Sessions' },
  { href: '/two-factor', label: 'Two-factor' },
];

function isCurrent(href: string, path: string): boolean {
  return href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
}

export function Layout({ path, session, children }: { path: string; session: SessionState; children: ComponentChildren }) {
  const onSignOut = async () => {
    await signOut();
    navigate('/sign-in');
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Faultline
        </Link>
        <nav aria-label="Main">
          <ul>
            {sections.map((s) => (
              <li key={s.href}>
                <Link href={s.href} {...(isCurrent(s.href, path) ? { 'aria-current': 'page' as const } : {})}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="account">
          {session.status === 'signed-in' ? (
            <>
              <span class="muted" title={`Role: ${session.user.role}`}>
                {session.user.email}
              </span>
              <button type="button" onClick={() => void onSignOut()}>
                Sign out
              </button>
            </>
          ) : session.status === 'signed-out' && path !== '/sign-in' ? (
            <Link href={`/sign-in?next=${encodeURIComponent(path)}`}>Sign in</Link>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
