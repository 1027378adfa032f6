// Trend buckets from /analytics/trends turned into chart series.
import type { components } from 'faultline-openapi';
import { useMemo } from 'preact/hooks';
import { Chart, type Series } from './Chart';
import { duration, percent } from '../format';

type Bucket = components['schemas']['TrendBucket'];

const seconds = (b: Bucket[]) => b.map((x) => Date.parse(x.bucket_start) / 1000);
const whole = (v: number | null) => (v === null ? '—' : Math.round(v).toLocaleString());
const rate = (v: number | null) => percent(v);
const time = (v: number | null) => duration(v);
// Axis labels have little room: 30s, 12m, 1.5h, 2d.
function compact(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${+(seconds / 60).toFixed(1)}m`;
  if (seconds < 86_400) return `${+(seconds / 3600).toFixed(1)}h`;
  return `${+(seconds / 86400).toFixed(1)}d`;
}

type Metric = 'failure_rate' | 'runs' | 'duration' | 'queue' | 'mttr';

function series(buckets: Bucket[], metric: Metric): Series[] {
  switch (metric) {
    case 'failure_rate':
      // A bucket without runs has no rate; zero would read as "all green".
      return [{ label: 'Failure rate', values: buckets.map((b) => (b.runs ? b.failure_rate : null)), format: rate }];
    case 'runs':
      return [
        { label: 'Runs', values: buckets.map((b) => b.runs), format: whole, bars: true },
        { label: 'Failures', values: buckets.map((b) => b.failures), format: whole, bars: true },
      ];
    case 'duration':
      return [
        { label: 'p95 duration', values: buckets.map((b) => b.duration_p95_seconds), format: time, axis: compact, seconds: true },
        { label: 'p50 duration', values: buckets.map((b) => b.duration_p50_seconds), format: time, axis: compact, seconds: true },
      ];
    case 'queue':
      return [{ label: 'p95 queue time', values: buckets.map((b) => b.queue_p95_seconds), format: time, axis: compact, seconds: true }];
    case 'mttr':
      return [{ label: 'MTTR', values: buckets.map((b) => b.mttr_seconds), format: time, axis: compact, seconds: true }];
  }
}

function summary(buckets: Bucket[], metric: Metric): string {
  const runs = buckets.reduce((n, b) => n + b.runs, 0);
  const failures = buckets.reduce((n, b) => n + b.failures, 0);
  switch (metric) {
    case 'failure_rate':
    case 'runs':
      return `${runs} runs, ${failures} failed, over ${buckets.length} buckets.`;
    default: {
      const values = series(buckets, metric)[0]?.values.filter((v): v is number => v !== null) ?? [];
      return values.length ? `Latest value ${duration(values[values.length - 1])}.` : 'No data in this range.';
    }
  }
}

export function TrendChart({ title, buckets, metric }: { title: string; buckets: Bucket[]; metric: Metric }) {
  // The same buckets after a 304 are the same array: the plot is then left alone.
  const times = useMemo(() => seconds(buckets), [buckets]);
  const lines = useMemo(() => series(buckets, metric), [buckets, metric]);
  return <Chart title={title} times={times} series={lines} summary={summary(buckets, metric)} />;
}
