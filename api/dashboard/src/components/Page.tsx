import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

/** A page's one heading, also the document title. */
export function Page({ title, actions, children }: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Faultline`;
  }, [title]);
  return (
    <>
      <div class="page-head">
        <h1>{title}</h1>
        {actions}
      </div>
      {children}
    </>
  );
}
