import { useState } from "preact/hooks";
import { del, get, post, put, VERSIONS } from "../api.js";
import {
  BackLink,
  Badge,
  Empty,
  ErrorBox,
  fmtTime,
  formValues,
  html,
  Pager,
  useAction,
  useLoad,
  useQueryState,
  useTitle,
} from "../ui.js";

const EG = { "api-version": VERSIONS.eventGrid };
// `\-`: in a pattern attribute (compiled with the `v` flag) a bare `-` at the end of a class
// is an error and Chromium then skips the check altogether.
const NAME_PATTERN = "[A-Za-z0-9\\-]{3,64}";
const SHORT = (t) => t.replace("Microsoft.Communication.", "");
const path = (name, rest = "") => `/eventSubscriptions/${encodeURIComponent(name)}${rest}`;
/** An SMS event's id is its message's: link it to the message's timeline. */
const eventLink = (id, type) =>
  (type || "").includes(".SMS")
    ? html`<a href=${`#/messages/${encodeURIComponent(id)}`}><code>${id}</code></a> `
    : html`<code>${id}</code> `;
const eventTypes = () => get("/tidings/eventTypes").then((r) => r.value);

function initial(existing) {
  const p = existing?.properties;
  return {
    name: "",
    endpointUrl: p?.destination.properties.endpointUrl || "",
    types: p?.filter.includedEventTypes || [],
    subjectBeginsWith: p?.filter.subjectBeginsWith || "",
    subjectEndsWith: p?.filter.subjectEndsWith || "",
    schema: p?.eventDeliverySchema || "EventGridSchema",
    maxDeliveryAttempts: String(p?.retryPolicy.maxDeliveryAttempts || 30),
    advancedFilters: p?.filter.advancedFilters?.length ? JSON.stringify(p.filter.advancedFilters) : "",
    deadLetter: !existing || Boolean(p?.deadLetterDestination),
  };
}

function propertiesFrom(v) {
  let advancedFilters = [];
  if (v.advancedFilters.trim()) {
    try {
      advancedFilters = JSON.parse(v.advancedFilters);
    } catch {
      throw new Error("Advanced filters must be a JSON array, e.g. [{\"operatorType\": …}].");
    }
  }
  return {
    destination: { endpointType: "WebHook", properties: { endpointUrl: v.endpointUrl.trim() } },
    filter: {
      ...(v.types.length ? { includedEventTypes: v.types } : {}),
      subjectBeginsWith: v.subjectBeginsWith,
      subjectEndsWith: v.subjectEndsWith,
      advancedFilters,
    },
    eventDeliverySchema: v.schema,
    retryPolicy: { maxDeliveryAttempts: Number(v.maxDeliveryAttempts) || 30, eventTimeToLiveInMinutes: 1440 },
    ...(v.deadLetter ? { deadLetterDestination: { endpointType: "Tidings" } } : {}),
  };
}

/** The form keeps what was typed in its own state, so a refused save loses nothing. */
function SubscriptionForm({ existing, onSaved }) {
  const { busy, error, act } = useAction();
  const types = useLoad(eventTypes, []);
  const [v, setV] = useState(() => initial(existing));
  const field = (name) => (e) => {
    const target = e.currentTarget;
    setV((old) => ({ ...old, [name]: target.type === "checkbox" ? target.checked : target.value }));
  };
  const toggle = (type) => (e) => {
    const on = e.currentTarget.checked;
    setV((old) => ({ ...old, types: on ? [...old.types, type] : old.types.filter((t) => t !== type) }));
  };
  const submit = (event) => {
    event.preventDefault();
    act(async () => {
      const name = existing ? existing.name : v.name.trim();
      onSaved(await put(path(name), { properties: propertiesFrom(v) }, EG));
    });
  };
  const groups = {};
  for (const t of types.data || []) (groups[t.group] ||= []).push(t.type);
  return html`<form class="card form" onSubmit=${submit} aria-label=${existing ? "Edit subscription" : "New subscription"}>
    <h2>${existing ? `Edit ${existing.name}` : "New subscription"}</h2>
    <div class="row">
      ${!existing &&
      html`<label
        >Name
        <input name="name" value=${v.name} onInput=${field("name")} pattern=${NAME_PATTERN} title="3 to 64 letters, digits and hyphens" placeholder="my-webhook" required
      /></label>`}
      <label class="grow"
        >Endpoint URL
        <input name="endpointUrl" type="url" value=${v.endpointUrl} onInput=${field("endpointUrl")} placeholder="https://example.com/api/events" required
      /></label>
    </div>
    <${ErrorBox} error=${types.error} />
    ${Object.entries(groups).map(
      ([group, list]) => html`<fieldset class="types">
        <legend>${group} events${group === "SMS" ? " (none checked anywhere: every type)" : ""}</legend>
        ${list.map(
          (t) => html`<label class="check"
            ><input type="checkbox" name=${t} checked=${v.types.includes(t)} onChange=${toggle(t)} /> ${SHORT(t)}</label
          >`,
        )}
      </fieldset>`,
    )}
    <div class="row">
      <label>Subject begins with <input name="subjectBeginsWith" value=${v.subjectBeginsWith} onInput=${field("subjectBeginsWith")} placeholder="/phonenumber/1800" /></label>
      <label>Subject ends with <input name="subjectEndsWith" value=${v.subjectEndsWith} onInput=${field("subjectEndsWith")} /></label>
      <label
        >Schema
        <select name="schema" value=${v.schema} onChange=${field("schema")}>
          <option value="EventGridSchema">Event Grid</option>
          <option value="CloudEventSchemaV1_0">CloudEvents 1.0</option>
        </select></label
      >
      <label>Max attempts <input name="maxDeliveryAttempts" type="number" min="1" max="30" value=${v.maxDeliveryAttempts} onInput=${field("maxDeliveryAttempts")} /></label>
    </div>
    <label
      >Advanced filters (JSON)
      <textarea name="advancedFilters" rows="2" value=${v.advancedFilters} onInput=${field("advancedFilters")} placeholder='[{"operatorType": "StringBeginsWith", "key": "data.From", "values": ["1555"]}]'></textarea>
    </label>
    <div class="row end">
      <label class="check"><input type="checkbox" name="deadLetter" checked=${v.deadLetter} onChange=${field("deadLetter")} /> Keep dead letters</label>
      <button type="submit" disabled=${busy}>${busy ? "Saving…" : "Save"}</button>
    </div>
    <${ErrorBox} error=${error} />
  </form>`;
}

/** What the endpoint's deliveries say, not the handshake's result. */
export function health(p, stats) {
  const failures = p.health?.consecutiveFailures || 0;
  if (p.status !== "Enabled") return ["Disabled", "disabled", "deliveries are paused"];
  if (p.provisioningState !== "Succeeded") return [p.provisioningState, "pending", "the validation handshake has not finished"];
  if (p.health?.probationUntil) return ["Failing", "failed", `${failures} failed in a row; retrying after ${fmtTime(p.health.probationUntil)}`];
  if (failures > 0) return ["Failing", "failed", `the last ${failures} attempt${failures === 1 ? "" : "s"} failed`];
  if (stats === null) return ["No failures", "delivered", "no failed attempt since the last success"];
  const total = stats ? Object.values(stats).reduce((a, b) => a + b, 0) : 0;
  if (!total) return ["No deliveries yet", "pending", "nothing has been sent to this endpoint"];
  return ["Healthy", "delivered", "the last delivery succeeded"];
}

function HealthBadge({ p, stats }) {
  const [text, kind, why] = health(p, stats);
  return html`<span class=${`badge badge-${kind}`} title=${why}>${text}</span> <span class="hint">${why}</span>`;
}

function DeliveryDetail({ name, id }) {
  const detail = useLoad(() => get(path(name, `/deliveries/${encodeURIComponent(id)}`)), [name, id]);
  const d = detail.data;
  if (!d) return html`<${ErrorBox} error=${detail.error} />`;
  return html`<div class="delivery-detail">
    <h3>Request</h3>
    <p class="hint">POST to the endpoint, <code>Content-Type: ${d.request.contentType}</code>; the same body on every attempt.</p>
    <pre class="json" tabindex="0" aria-label="Request body">${JSON.stringify(d.request.body, null, 2)}</pre>
    <h3>Attempts</h3>
    ${!d.attempts.length && html`<${Empty}>Not attempted yet${d.nextAttemptTime ? `; next at ${fmtTime(d.nextAttemptTime)}` : ""}.<//>`}
    <ol class="attempts">
      ${d.attempts.map(
        (a) => html`<li>
          <strong>Attempt ${a.attempt}</strong> at ${fmtTime(a.time)}: ${a.outcome}
          ${a.httpStatusCode !== null ? ` · HTTP ${a.httpStatusCode}` : ""} · ${Math.round(a.durationMs)} ms
          ${a.error && html`<div class="error-text">${a.error}</div>`}
          ${a.responseExcerpt
            ? html`<pre class="json" tabindex="0" aria-label=${`Response body of attempt ${a.attempt}`}>${a.responseExcerpt}</pre>`
            : html`<div class="hint">No response body.</div>`}
        </li>`,
      )}
    </ol>
  </div>`;
}

const LIMIT = 25;

function DeliveryLog({ name, statuses, refreshKey }) {
  const [q, setQ] = useQueryState({ status: "", offset: "0" });
  const offset = Number(q.offset) || 0;
  const [open, setOpen] = useState(null);
  const deliveries = useLoad(
    () => get(path(name, "/deliveries"), { limit: LIMIT, offset, status: q.status }),
    [name, q.status, offset, refreshKey],
    3000,
  );
  const rows = deliveries.data?.value || [];
  return html`<div class="card">
    <h2>Delivery log</h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filter deliveries">
      <label
        >Status
        <select value=${q.status} onChange=${(e) => setQ({ status: e.currentTarget.value, offset: "0" })}>
          <option value="">Any</option>
          ${statuses.map((s) => html`<option value=${s}>${s}</option>`)}
        </select></label
      >
    </form>
    <${ErrorBox} error=${deliveries.error} />
    ${deliveries.data && !rows.length && html`<${Empty}>${q.status ? `No ${q.status} deliveries.` : "No deliveries yet."}<//>`}
    ${rows.length > 0 &&
    html`<div class="table-wrap"><table class="deliveries stack">
      <thead><tr><th>Published</th><th>Status</th><th>Event type</th><th>Events</th><th>Attempts</th><th>Last result</th><th><span class="sr-only">Details</span></th></tr></thead>
      <tbody>
        ${rows.map(
          (d) => html`<tr>
              <td>${fmtTime(d.publishTime)}</td>
              <td><${Badge} value=${d.status} /></td>
              <td>${[...new Set(d.eventTypes || [])].map(SHORT).join(", ")}</td>
              <td class="ids">${(d.eventIds || []).map((id, i) => eventLink(id, d.eventTypes?.[i]))}</td>
              <td>${d.deliveryAttempts}</td>
              <td>${d.lastHttpStatusCode ?? ""} ${d.lastDeliveryOutcome ?? ""}</td>
              <td>
                <button type="button" class="secondary small" aria-expanded=${open === d.id} onClick=${() => setOpen(open === d.id ? null : d.id)}>
                  ${open === d.id ? "Hide" : "Details"}
                </button>
              </td>
            </tr>
            ${open === d.id && html`<tr class="detail-row"><td colspan="7"><${DeliveryDetail} name=${name} id=${d.id} /></td></tr>`}`,
        )}
      </tbody>
    </table></div>`}
    <${Pager} offset=${offset} limit=${LIMIT} count=${rows.length} onChange=${(o) => setQ({ ...q, offset: String(o) })} />
  </div>`;
}

function TestEvent({ name, p, onSent }) {
  const types = useLoad(eventTypes, []);
  const { busy, error, act } = useAction();
  const [notice, setNotice] = useState(null);
  const choices = p.filter.includedEventTypes?.length ? p.filter.includedEventTypes : (types.data || []).map((t) => t.type);
  const send = (event) => {
    const v = formValues(event);
    act(async () => {
      const r = await post(path(name, "/testEvents"), { eventType: v.eventType });
      setNotice(`Test ${SHORT(r.event.eventType)} event sent (delivery ${r.deliveryId}); see the delivery log.`);
      onSent();
    });
  };
  return html`<form class="row" onSubmit=${send} aria-label="Send a test event">
      <label
        >Test event type
        <select name="eventType">${choices.map((t) => html`<option value=${t}>${SHORT(t)}</option>`)}</select></label
      >
      <button type="submit" class="secondary" disabled=${busy}>Send test event</button>
    </form>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <${ErrorBox} error=${error} />`;
}

function Detail({ name }) {
  useTitle(`Subscription ${name}`);
  const sub = useLoad(() => get(path(name), EG), [name], 3000);
  const stats = useLoad(() => get(path(name, "/stats")), [name], 3000);
  const dead = useLoad(() => get(path(name, "/deadLetters"), { limit: 50 }), [name], 3000);
  const [editing, setEditing] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const { busy, error, act } = useAction();
  const [notice, setNotice] = useState(null);
  const refresh = () => {
    setRefreshKey((k) => k + 1);
    return Promise.all([sub.reload(), stats.reload(), dead.reload()]);
  };
  const action = (fn) => act(async () => setNotice(await fn()) || refresh());
  if (!sub.data) return html`<${ErrorBox} error=${sub.error} />`;
  const p = sub.data.properties;
  const replay = (event) => {
    const v = formValues(event);
    action(async () => {
      const r = await post(path(name, "/replay"), {
        startTime: new Date(v.startTime).toISOString(),
        endTime: new Date(v.endTime).toISOString(),
      });
      return `Replaying events from ${fmtTime(r.startTime)} to ${fmtTime(r.endTime)}.`;
    });
  };
  const remove = () =>
    window.confirm(`Delete subscription ${name}?`) &&
    act(async () => {
      await del(path(name), EG);
      window.location.hash = "#/subscriptions";
    });
  return html`<div>
    <${BackLink} page="subscriptions">All subscriptions<//>
    <div class="card">
      <h2>${name} <${Badge} value=${p.status} /></h2>
      <dl class="facts">
        <dt>Health</dt><dd class="health"><${HealthBadge} p=${p} stats=${stats.data || undefined} /></dd>
        <dt>Endpoint</dt><dd class="body">${p.destination.properties.endpointBaseUrl}</dd>
        <dt>Handshake</dt><dd>${p.provisioningState}</dd>
        <dt>Event types</dt><dd>${(p.filter.includedEventTypes || ["all"]).map(SHORT).join(", ")}</dd>
        <dt>Schema</dt><dd>${p.eventDeliverySchema}</dd>
        ${stats.data && html`<dt>Deliveries</dt><dd>${Object.entries(stats.data).map(([k, v]) => `${k} ${v}`).join(" · ")}</dd>`}
      </dl>
      <div class="row">
        <button class="secondary" onClick=${() => setEditing(!editing)}>${editing ? "Close editor" : "Edit"}</button>
        <button class="secondary" disabled=${busy} onClick=${() => action(async () => { await post(path(name, p.status === "Enabled" ? "/disable" : "/enable")); return null; })}>
          ${p.status === "Enabled" ? "Disable" : "Enable"}
        </button>
        <button class="secondary" disabled=${busy} onClick=${() => action(async () => `Redelivering ${(await post(path(name, "/deadLetters/redeliver"))).redelivered} dead letters.`)}>
          Redeliver dead letters
        </button>
        <button class="danger" disabled=${busy} onClick=${remove}>Delete</button>
      </div>
      <${TestEvent} name=${name} p=${p} onSent=${refresh} />
      <form class="row" onSubmit=${replay} aria-label="Replay">
        <label>Replay from <input type="datetime-local" name="startTime" required /></label>
        <label>to <input type="datetime-local" name="endTime" required /></label>
        <button type="submit" class="secondary" disabled=${busy}>Replay</button>
      </form>
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      <${ErrorBox} error=${error} />
    </div>
    ${editing && html`<${SubscriptionForm} existing=${sub.data} onSaved=${() => { setEditing(false); refresh(); }} />`}
    <${DeliveryLog} name=${name} statuses=${Object.keys(stats.data || {})} refreshKey=${refreshKey} />
    <div class="card">
      <h2>Dead letters</h2>
      <${ErrorBox} error=${dead.error} />
      ${dead.data && !dead.data.value.length && html`<${Empty}>No dead letters.<//>`}
      ${dead.data?.value.length > 0 &&
      html`<div class="table-wrap"><table class="stack">
        <thead><tr><th>Event</th><th>Type</th><th>Reason</th><th>Attempts</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          ${dead.data.value.map(
            (d) => html`<tr>
              <td class="ids">${eventLink(d.id, d.eventType || d.type)}</td>
              <td>${SHORT(d.eventType || d.type || "")}</td>
              <td>${d.deadLetterReason || d.deadletterreason} ${d.lastHttpStatusCode || d.lasthttpstatuscode || ""}</td>
              <td>${d.deliveryAttempts ?? d.deliveryattempts}</td>
              <td><button class="secondary small" disabled=${busy} onClick=${() => action(async () => { await post(path(name, `/events/${encodeURIComponent(d.id)}/redeliver`)); return `Redelivering ${d.id}.`; })}>Redeliver</button></td>
            </tr>`,
          )}
        </tbody>
      </table></div>`}
    </div>
  </div>`;
}

function List() {
  const subs = useLoad(() => get("/eventSubscriptions", EG), [], 5000);
  const [creating, setCreating] = useState(false);
  const items = subs.data?.value || [];
  return html`<section>
    <div class="row"><button onClick=${() => setCreating(!creating)}>${creating ? "Cancel" : "New subscription"}</button></div>
    ${creating && html`<${SubscriptionForm} onSaved=${(s) => (window.location.hash = `#/subscriptions/${s.name}`)} />`}
    <${ErrorBox} error=${subs.error} />
    ${subs.data && !items.length && html`<${Empty}>No event subscriptions yet.<//>`}
    ${items.length > 0 &&
    html`<div class="table-wrap"><table class="stack">
      <thead><tr><th>Name</th><th>Endpoint</th><th>Status</th><th>Health</th></tr></thead>
      <tbody>
        ${items.map((s) => {
          const [text, kind, why] = health(s.properties, null);
          return html`<tr>
            <td><a href=${`#/subscriptions/${s.name}`}>${s.name}</a></td>
            <td class="body">${s.properties.destination.properties.endpointBaseUrl}</td>
            <td><${Badge} value=${s.properties.status} /></td>
            <td><span class=${`badge badge-${kind}`} title=${why}>${text}</span></td>
          </tr>`;
        })}
      </tbody>
    </table></div>`}
  </section>`;
}

export function Subscriptions({ arg }) {
  return arg ? html`<${Detail} name=${arg} />` : html`<${List} />`;
}
