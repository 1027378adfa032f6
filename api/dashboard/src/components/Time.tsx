import { localTime, since, utcTime } from '../format';

/** A time in the viewer's zone, the UTC time on hover; `relative` says "5 min ago" instead. */
export function Time({ value, relative = false }: { value: string | null | undefined; relative?: boolean }) {
  if (!value) return <span aria-label="unknown">—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={date.toISOString()} title={utcTime(date)}>
      {relative ? since(value) : localTime(date)}
    </time>
  );
}
