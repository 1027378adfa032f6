// A uPlot time series. uPlot draws on a canvas, so its colours are read from the theme's
// custom properties and the plot is rebuilt when the colour scheme or the width changes.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  format: (value: number | null) => string;
  /** Shorter labels for the y axis; `format` when absent. */
  axis?: (value: number) => string;
  /** Draw as bars (counts, whole numbers) rather than a line (rates, durations). */
  bars?: boolean;
  /** Values are seconds: y-axis ticks fall on whole minutes, hours and days. */
  seconds?: boolean;
}

const secondSteps = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800];
const wholeSteps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000];

interface ChartProps {
  title: string;
  /** Bucket starts, seconds since the epoch. */
  times: number[];
  series: Series[];
  height?: number;
  /** A sentence saying what the plot shows, for those who cannot see it. */
  summary: string;
}

const palette = ['--chart-1', '--chart-2', '--chart-3'];

function themeColour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function options(props: ChartProps, width: number): uPlot.Options {
  const text = themeColour('--text-muted');
  const grid = themeColour('--border');
  const first = props.series[0];
  const label = first?.axis ?? first?.format ?? String;
  const yAxis: uPlot.Axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    values: (_u, splits) => splits.map((v) => label(v)),
    size: 56,
    ...(first?.bars ? { incrs: wholeSteps } : first?.seconds ? { incrs: secondSteps } : {}),
  };
  return {
    width,
    height: props.height ?? 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    // Rates, durations and counts all start at zero; an axis from the minimum exaggerates.
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{ stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }, yAxis],
    series: [
      {},
      ...props.series.map((s, i) => {
        const colour = themeColour(palette[i % palette.length] ?? '--chart-1');
        return {
          label: s.label,
          stroke: colour,
          width: 2,
          fill: s.bars ? colour : undefined,
          paths: s.bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined,
          value: (_u: uPlot, v: number | null) => s.format(v),
          spanGaps: false,
        } satisfies uPlot.Series;
      }),
    ],
  };
}

export function Chart(props: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join('|');
  // A rebuild (the colour scheme changed) must draw the latest values, not the first ones.
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const build = () => {
      plot.current?.destroy();
      const now = latest.current;
      const width = Math.max(240, element.clientWidth);
      const data: uPlot.AlignedData = [now.times, ...now.series.map((s) => s.values)];
      plot.current = new uPlot(options(now, width), data, element);
    };
    build();
    let lastWidth = element.clientWidth;
    const resize = new ResizeObserver(() => {
      if (Math.abs(element.clientWidth - lastWidth) < 4) return;
      lastWidth = element.clientWidth;
      plot.current?.setSize({ width: Math.max(240, lastWidth), height: latest.current.height ?? 220 });
    });
    resize.observe(element);
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', build);
    return () => {
      resize.disconnect();
      scheme.removeEventListener('change', build);
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the set of series changes; new values go through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([props.times, ...props.series.map((s) => s.values)]);
  }, [props.times, props.series]);

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <p class="sr-only">{props.summary}</p>
      <div ref={holder} class="chart-plot" aria-hidden="true" />
    </figure>
  );
}
