// How numbers, durations and times read on every page.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function localTime(value: string | Date): string {
  return dateTime.format(typeof value === 'string' ? new Date(value) : value);
}

export function utcTime(value: string | Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)} %`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

/** Seconds between two timestamps, or null when either is unknown. */
export function between(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

export function since(value: string | null | undefined, now = Date.now()): string {
  if (!value) return '—';
  const seconds = (now - new Date(value).getTime()) / 1000;
  if (seconds < 60) return 'just now';
  return `${duration(seconds).split(' ').slice(0, 2).join(' ')} ago`;
}

export function count(n: number): string {
  return n.toLocaleString();
}

/** An RFC 3339 time `days` before now, on the hour, so the URL (and its ETag) stays stable between polls. */
export function daysAgo(days: number): string {
  const t = new Date(Date.now() - days * 86400_000);
  t.setUTCMinutes(0, 0, 0);
  return t.toISOString().replace('.000Z', 'Z');
}
