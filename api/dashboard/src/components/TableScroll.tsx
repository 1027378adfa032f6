import type { ComponentChildren } from 'preact';

/** A wide table scrolls inside this box, never the page; focusable so keyboards can scroll it. */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
