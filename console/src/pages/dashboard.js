import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, get, ourNumbers } from "../api.js";
import { COLORS, ChartView } from "../chart.js";
import {
  Empty,
  ErrorBox,
  fmtMs,
  fmtNumber,
  fmtPercent,
  html,
  NumberSelect,
  useLoad,
  useQueryState,
} from "../ui.js";

const RANGES = [
  ["24h", "Last 24 hours", 1, "hour"],
  ["7d", "Last 7 days", 7, "day"],
  ["30d", "Last 30 days", 30, "day"],
  ["90d", "Last 90 days", 90, "week"],
];

const BUCKET_MS = { hour: 3600_000, day: 86400_000, week: 7 * 86400_000 };

/** "14:00" for an hour (with the date at midnight and on the first label: "Dec 4, 00:00");
 *  "Dec 4" for a day or a week. */
function bucketLabel(iso, bucket, index) {
  const d = new Date(iso);
  const date = d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  if (bucket !== "hour") return bucket === "week" ? `week of ${date}` : date;
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return index === 0 || d.getHours() === 0 ? `${date}, ${time}` : time;
}

/** Whether the last bucket ends after the range does (today, this hour): not yet complete. */
function partialLast(data) {
  const last = data.series[data.series.length - 1];
  if (!last) return false;
  return new Date(last.start).getTime() + BUCKET_MS[data.bucket] > new Date(data.to).getTime();
}

function rangeQuery(filters) {
  if (filters.range === "custom") {
    // Both ends are needed: a blank one would silently fall back to the API's default range.
    if (!filters.from || !filters.to) return null;
    return {
      from: new Date(filters.from).toISOString(),
      to: new Date(filters.to).toISOString(),
      bucket: filters.bucket,
    };
  }
  const [, , days, bucket] = RANGES.find(([id]) => id === filters.range);
  const to = new Date();
  const from = new Date(to.getTime() - days * 86400_000);
  return { from: from.toISOString(), to: to.toISOString(), bucket: filters.bucket || bucket };
}

function Kpi({ label, value, hint }) {
  return html`<div class="kpi">
    <span class="kpi-label">${label}</span>
    <span class="kpi-value">${value}</span>
    ${hint && html`<span class="kpi-hint">${hint}</span>`}
  </div>`;
}

function seriesConfig(data) {
  const partial = partialLast(data);
  const lastIndex = data.series.length - 1;
  const labels = data.series.map((b, i) => {
    const label = bucketLabel(b.start, data.bucket, i);
    return partial && i === lastIndex ? `${label} (so far)` : label;
  });
  const line = (key, label) => ({
    label,
    data: data.series.map((b) => b[key]),
    borderColor: COLORS[key],
    backgroundColor: COLORS[key],
    pointRadius: data.series.length > 60 ? 0 : 2,
    tension: 0,
    // The bucket still in progress is drawn dashed: its drop is not a cliff.
    segment: { borderDash: (ctx) => (partial && ctx.p1DataIndex === lastIndex ? [6, 4] : undefined) },
  });
  return {
    type: "line",
    data: {
      labels,
      datasets: [
        line("sent", "Sent"),
        line("delivered", "Delivered"),
        line("failed", "Failed"),
        line("received", "Received"),
      ],
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  };
}

function funnelConfig(totals) {
  return {
    type: "bar",
    data: {
      labels: ["Sent", "Delivered", "Failed", "Pending"],
      datasets: [
        {
          label: "Messages",
          data: [totals.sent, totals.delivered, totals.failed, totals.pending],
          maxBarThickness: 32,
          backgroundColor: [COLORS.sent, COLORS.delivered, COLORS.failed, COLORS.pending],
        },
      ],
    },
    options: {
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  };
}

function reasonsConfig(reasons) {
  return {
    type: "bar",
    data: {
      labels: reasons.map((r) => r.reason),
      datasets: [
        {
          label: "Failures",
          data: reasons.map((r) => r.count),
          backgroundColor: COLORS.failed,
          maxBarThickness: 32,
        },
      ],
    },
    options: {
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0 } },
        // The code on the axis ("4006"); the whole reason is in the tooltip and the list below.
        y: { ticks: { callback: (_value, index) => reasons[index].reason.split(":")[0] } },
      },
    },
  };
}

const DEFAULTS = { range: "7d", bucket: "", number: "", tag: "", from: "", to: "" };

export function Dashboard() {
  const [filters, setFilters] = useQueryState(DEFAULTS);
  const [tagDraft, setTagDraft] = useState(filters.tag);
  useEffect(() => setTagDraft(filters.tag), [filters.tag]);
  const numbers = useLoad(ourNumbers, []);
  const range = rangeQuery(filters);
  const query = () => ({ ...range, number: filters.number, tag: filters.tag.trim() });
  const analytics = useLoad(() => (range ? get("/tidings/analytics", query()) : Promise.resolve(null)), [filters]);
  const csv = (table) => {
    const params = new URLSearchParams({ format: "csv", table });
    for (const [k, v] of Object.entries(query())) if (v) params.set(k, v);
    return `/tidings/analytics?${params}`;
  };
  const data = range ? analytics.data : null;
  const tag = filters.tag.trim();
  const notByTag = tag ? "not filtered by tag: inbound messages and opt-outs carry none" : null;
  const configs = useMemo(
    () =>
      data && {
        series: seriesConfig(data),
        funnel: funnelConfig(data.totals),
        reasons: reasonsConfig(data.failureReasons),
      },
    [data],
  );
  const set = (name) => (e) => setFilters({ ...filters, [name]: e.currentTarget.value });
  const setTag = () => tagDraft !== filters.tag && setFilters({ ...filters, tag: tagDraft });
  const missing = analytics.error instanceof ApiError && analytics.error.status === 404;

  return html`<section>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label
        >Range
        <select name="range" value=${filters.range} onChange=${set("range")}>
          ${RANGES.map(([id, label]) => html`<option value=${id}>${label}</option>`)}
          <option value="custom">Custom…</option>
        </select></label
      >
      ${filters.range === "custom" &&
      html`<label>From <input type="datetime-local" name="from" value=${filters.from} onChange=${set("from")} /></label>
        <label>To <input type="datetime-local" name="to" value=${filters.to} onChange=${set("to")} /></label>`}
      <label
        >Bucket
        <select name="bucket" value=${filters.bucket} onChange=${set("bucket")}>
          <option value="">Automatic</option>
          <option value="hour">Hour</option>
          <option value="day">Day</option>
          <option value="week">Week</option>
        </select></label
      >
      <${NumberSelect}
        numbers=${numbers.data || []}
        name="number"
        value=${filters.number}
        onChange=${set("number")}
        all
      />
      <label
        >Tag
        <input
          name="tag"
          placeholder="any"
          value=${tagDraft}
          onInput=${(e) => setTagDraft(e.currentTarget.value)}
          onChange=${setTag}
          onKeyDown=${(e) => e.key === "Enter" && setTag()}
        />
      </label>
    </form>
    ${missing
      ? html`<${Empty}>Analytics are not available on this server yet.<//>`
      : html`<${ErrorBox} error=${analytics.error} />`}
    ${!range && html`<p class="notice" role="status">Choose both the start and the end of the custom range.</p>`}
    ${range && analytics.loading && !data && html`<p class="loading">Loading…</p>`}
    ${range && analytics.loading && data && html`<p class="updating" role="status">Updating…</p>`}
    ${data && tag && data.totals.sent === 0 && !data.byTag.length &&
    html`<p class="notice" role="status">No message in this range has the tag “${tag}”.</p>`}
    ${data &&
    configs &&
    !analytics.error &&
    html`<div
      class=${analytics.loading ? "dashboard stale" : "dashboard"}
      data-ready=${analytics.loading ? "false" : "true"}
      aria-busy=${analytics.loading ? "true" : "false"}
    >
      <div class="kpis">
        <${Kpi} label="Sent" value=${fmtNumber(data.totals.sent)} hint=${`${fmtNumber(data.totals.segments)} segments`} />
        <${Kpi} label="Received" value=${fmtNumber(data.totals.received)} hint=${notByTag} />
        <${Kpi} label="Delivery rate" value=${fmtPercent(data.totals.deliveryRate)} hint=${`${fmtNumber(data.totals.failed)} failed`} />
        <${Kpi} label="Delivery latency p50" value=${fmtMs(data.totals.deliveryLatencyMs.p50)} hint=${`p90 ${fmtMs(data.totals.deliveryLatencyMs.p90)} · p99 ${fmtMs(data.totals.deliveryLatencyMs.p99)}`} />
        <${Kpi} label="Reply rate" value=${fmtPercent(data.totals.replyRate)} hint=${`${fmtNumber(data.totals.activeConversations)} active conversations`} />
        <${Kpi} label="Opt-outs / opt-ins" value=${`${fmtNumber(data.totals.optOuts)} / ${fmtNumber(data.totals.optIns)}`} hint=${notByTag} />
      </div>
      <div class="card wide">
        <h2>Messages over time</h2>
        <${ChartView} config=${configs.series} label="Messages over time" />
        ${partialLast(data) && html`<p class="hint">The last ${data.bucket} is still in progress (dashed).</p>`}
      </div>
      <div class="grid2">
        <div class="card">
          <h2>Delivery funnel</h2>
          <${ChartView} config=${configs.funnel} label="Delivery funnel" height=${200} />
        </div>
        <div class="card">
          <h2>Failure reasons</h2>
          ${data.failureReasons.length
            ? html`<${ChartView} config=${configs.reasons} label="Failure reasons" height=${200} />
                <ul class="reasons">
                  ${data.failureReasons.map((r) => html`<li>${r.reason} <span>${fmtNumber(r.count)}</span></li>`)}
                </ul>`
            : html`<${Empty}>No failures in this range.<//>`}
        </div>
      </div>
      <div class="grid2">
        <div class="card">
          <h2>By number</h2>
          <div class="table-wrap">
            <table class="stack">
              <thead><tr><th>Number</th><th>Sent</th><th>Received</th><th>Delivery rate</th></tr></thead>
              <tbody>
                ${data.byNumber.map(
                  (n) => html`<tr>
                    <td>${n.number}</td><td>${fmtNumber(n.sent)}</td><td>${fmtNumber(n.received)}</td>
                    <td>${fmtPercent(n.deliveryRate)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>
        </div>
        <div class="card">
          <h2>By tag</h2>
          ${data.byTag.length
            ? html`<div class="table-wrap">
                <table class="stack">
                  <thead><tr><th>Tag</th><th>Sent</th><th>Delivered</th><th>Failed</th><th>Delivery rate</th></tr></thead>
                  <tbody>
                    ${data.byTag.map(
                      (t) => html`<tr>
                        <td>${t.tag}</td><td>${fmtNumber(t.sent)}</td><td>${fmtNumber(t.delivered)}</td>
                        <td>${fmtNumber(t.failed)}</td><td>${fmtPercent(t.deliveryRate)}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<${Empty}>No tagged messages in this range.<//>`}
        </div>
        <div class="card">
          <h2>Top inbound keywords</h2>
          ${notByTag && html`<p class="hint">${notByTag[0].toUpperCase() + notByTag.slice(1)}.</p>`}
          ${data.topKeywords.length
            ? html`<ol class="keywords">
                ${data.topKeywords.map((k) => html`<li><code>${k.keyword}</code> <span>${fmtNumber(k.count)}</span></li>`)}
              </ol>`
            : html`<${Empty}>No inbound messages in this range.<//>`}
        </div>
      </div>
      <p class="downloads">
        CSV:
        ${[
          ["series", "time series"],
          ["byNumber", "by number"],
          ["byTag", "by tag"],
          ["failureReasons", "failure reasons"],
          ["topKeywords", "keywords"],
        ].map(([table, label]) => html` <a href=${csv(table)} download=${`tidings-${table}.csv`}>${label}</a>`)}
      </p>
    </div>`}
  </section>`;
}
