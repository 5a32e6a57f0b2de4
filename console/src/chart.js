// Chart.js, registered with only what the console draws (tree-shaken), as a Preact component.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import { html } from "./ui.js";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export const COLORS = {
  sent: "#2563eb",
  delivered: "#16a34a",
  failed: "#dc2626",
  received: "#9333ea",
  pending: "#d97706",
  optOuts: "#64748b",
};

/** A chart from a Chart.js config; `label` names it for screen readers and tests. */
export function ChartView({ config, label, height = 260 }) {
  const canvas = useRef(null);
  useEffect(() => {
    const chart = new Chart(canvas.current, {
      ...config,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        ...config.options,
      },
    });
    return () => chart.destroy();
  }, [config]);
  const labels = (config.data.labels || []).join("|");
  return html`<div class="chart" style=${`height:${height}px`} data-labels=${labels}>
    <canvas ref=${canvas} role="img" aria-label=${label}></canvas>
  </div>`;
}
