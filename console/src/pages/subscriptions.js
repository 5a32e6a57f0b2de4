import { useState } from "preact/hooks";
import { del, get, post, put, VERSIONS } from "../api.js";
import { Badge, Empty, ErrorBox, fmtTime, formValues, html, useAction, useLoad } from "../ui.js";

const EG = { "api-version": VERSIONS.eventGrid };
const EVENT_TYPES = [
  "Microsoft.Communication.SMSReceived",
  "Microsoft.Communication.SMSDeliveryReportReceived",
];
const path = (name, rest = "") => `/eventSubscriptions/${encodeURIComponent(name)}${rest}`;

function propertiesFrom(v, types) {
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
      ...(types.length ? { includedEventTypes: types } : {}),
      subjectBeginsWith: v.subjectBeginsWith,
      subjectEndsWith: v.subjectEndsWith,
      advancedFilters,
    },
    eventDeliverySchema: v.schema,
    retryPolicy: { maxDeliveryAttempts: Number(v.maxDeliveryAttempts) || 30, eventTimeToLiveInMinutes: 1440 },
    ...(v.deadLetter === "on" ? { deadLetterDestination: { endpointType: "Tidings" } } : {}),
  };
}

function SubscriptionForm({ existing, onSaved }) {
  const { busy, error, act } = useAction();
  const p = existing?.properties;
  const types = p?.filter.includedEventTypes || [];
  const submit = (event) => {
    const form = event.currentTarget;
    const v = formValues(event);
    const chosen = EVENT_TYPES.filter((t) => form.elements[t]?.checked);
    act(async () => {
      const name = existing ? existing.name : v.name.trim();
      const saved = await put(path(name), { properties: propertiesFrom(v, chosen) }, EG);
      onSaved(saved);
    });
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${existing ? "Edit subscription" : "New subscription"}>
    <h2>${existing ? `Edit ${existing.name}` : "New subscription"}</h2>
    <div class="row">
      ${!existing && html`<label>Name <input name="name" pattern="[A-Za-z0-9-]{3,64}" placeholder="my-webhook" required /></label>`}
      <label class="grow"
        >Endpoint URL
        <input name="endpointUrl" type="url" value=${p?.destination.properties.endpointUrl || ""} placeholder="https://example.com/api/events" required
      /></label>
    </div>
    <fieldset>
      <legend>Event types (none: all)</legend>
      ${EVENT_TYPES.map(
        (t) => html`<label class="check"
          ><input type="checkbox" name=${t} checked=${types.includes(t)} /> ${t.replace("Microsoft.Communication.", "")}</label
        >`,
      )}
    </fieldset>
    <div class="row">
      <label>Subject begins with <input name="subjectBeginsWith" value=${p?.filter.subjectBeginsWith || ""} placeholder="/phonenumber/1800" /></label>
      <label>Subject ends with <input name="subjectEndsWith" value=${p?.filter.subjectEndsWith || ""} /></label>
      <label
        >Schema
        <select name="schema" value=${p?.eventDeliverySchema || "EventGridSchema"}>
          <option value="EventGridSchema">Event Grid</option>
          <option value="CloudEventSchemaV1_0">CloudEvents 1.0</option>
        </select></label
      >
      <label>Max attempts <input name="maxDeliveryAttempts" type="number" min="1" max="30" value=${p?.retryPolicy.maxDeliveryAttempts || 30} /></label>
    </div>
    <label
      >Advanced filters (JSON)
      <textarea name="advancedFilters" rows="2" placeholder='[{"operatorType": "StringBeginsWith", "key": "data.From", "values": ["1555"]}]'>
${p?.filter.advancedFilters ? JSON.stringify(p.filter.advancedFilters) : ""}</textarea
      >
    </label>
    <div class="row end">
      <label class="check"><input type="checkbox" name="deadLetter" checked=${!existing || Boolean(p?.deadLetterDestination)} /> Keep dead letters</label>
      <button type="submit" disabled=${busy}>${busy ? "Saving…" : "Save"}</button>
    </div>
    <${ErrorBox} error=${error} />
  </form>`;
}

function Detail({ name }) {
  const sub = useLoad(() => get(path(name), EG), [name], 3000);
  const stats = useLoad(() => get(path(name, "/stats")), [name], 3000);
  const deliveries = useLoad(() => get(path(name, "/deliveries"), { limit: 50 }), [name], 3000);
  const dead = useLoad(() => get(path(name, "/deadLetters"), { limit: 50 }), [name], 3000);
  const [editing, setEditing] = useState(false);
  const { busy, error, act } = useAction();
  const [notice, setNotice] = useState(null);
  const refresh = () => Promise.all([sub.reload(), stats.reload(), deliveries.reload(), dead.reload()]);
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
    <p><a href="#/subscriptions">← All subscriptions</a></p>
    <div class="card">
      <h2>${name} <${Badge} value=${p.status} /> <${Badge} value=${p.provisioningState} /></h2>
      <dl class="facts">
        <dt>Endpoint</dt><dd class="body">${p.destination.properties.endpointBaseUrl}</dd>
        <dt>Event types</dt><dd>${(p.filter.includedEventTypes || ["all"]).join(", ")}</dd>
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
      <form class="row" onSubmit=${replay} aria-label="Replay">
        <label>Replay from <input type="datetime-local" name="startTime" required /></label>
        <label>to <input type="datetime-local" name="endTime" required /></label>
        <button type="submit" class="secondary" disabled=${busy}>Replay</button>
      </form>
      ${notice && html`<p class="notice">${notice}</p>`}
      <${ErrorBox} error=${error} />
    </div>
    ${editing && html`<${SubscriptionForm} existing=${sub.data} onSaved=${() => { setEditing(false); refresh(); }} />`}
    <div class="card">
      <h2>Delivery log</h2>
      <${ErrorBox} error=${deliveries.error} />
      ${deliveries.data && !deliveries.data.value.length && html`<${Empty}>No deliveries yet.<//>`}
      ${deliveries.data?.value.length > 0 &&
      html`<div class="table-wrap"><table class="deliveries stack">
        <thead><tr><th>Published</th><th>Status</th><th>Events</th><th>Attempts</th><th>Last result</th></tr></thead>
        <tbody>
          ${deliveries.data.value.map(
            (d) => html`<tr>
              <td>${fmtTime(d.publishTime)}</td>
              <td><${Badge} value=${d.status} /></td>
              <td>${(d.eventIds || []).map((id) => html`<a href=${`#/messages/${id}`} title=${id}>…${id.slice(-8)}</a> `)}</td>
              <td>${d.deliveryAttempts}</td>
              <td>${d.lastHttpStatusCode ?? ""} ${d.lastDeliveryOutcome ?? ""}</td>
            </tr>`,
          )}
        </tbody>
      </table></div>`}
    </div>
    <div class="card">
      <h2>Dead letters</h2>
      <${ErrorBox} error=${dead.error} />
      ${dead.data && !dead.data.value.length && html`<${Empty}>No dead letters.<//>`}
      ${dead.data?.value.length > 0 &&
      html`<div class="table-wrap"><table class="stack">
        <thead><tr><th>Event</th><th>Type</th><th>Reason</th><th>Attempts</th><th></th></tr></thead>
        <tbody>
          ${dead.data.value.map(
            (d) => html`<tr>
              <td><a href=${`#/messages/${d.id}`} title=${d.id}>…${d.id.slice(-8)}</a></td>
              <td>${(d.eventType || d.type || "").replace("Microsoft.Communication.", "")}</td>
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
      <thead><tr><th>Name</th><th>Endpoint</th><th>Status</th><th>State</th></tr></thead>
      <tbody>
        ${items.map(
          (s) => html`<tr>
            <td><a href=${`#/subscriptions/${s.name}`}>${s.name}</a></td>
            <td class="body">${s.properties.destination.properties.endpointBaseUrl}</td>
            <td><${Badge} value=${s.properties.status} /></td>
            <td><${Badge} value=${s.properties.provisioningState} /></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
  </section>`;
}

export function Subscriptions({ arg }) {
  return arg ? html`<${Detail} name=${arg} />` : html`<${List} />`;
}
