import { useState } from "preact/hooks";
import { get, ourNumbers, sendSms } from "../api.js";
import {
  Badge,
  Empty,
  ErrorBox,
  fmtTime,
  formValues,
  html,
  NumberSelect,
  useAction,
  useLoad,
} from "../ui.js";

function SendForm({ onSent }) {
  const numbers = useLoad(ourNumbers, []);
  const { busy, error, act } = useAction();
  const [result, setResult] = useState(null);
  const submit = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      const sent = await sendSms({
        from: v.from,
        to: v.to.trim(),
        message: v.message,
        tag: v.tag.trim(),
        deliveryReport: v.deliveryReport === "on",
      });
      if (!sent.successful) throw new Error(sent.errorMessage || "The message was not accepted.");
      setResult(sent.messageId);
      form.reset();
      onSent(sent.messageId);
    });
  };
  return html`<form class="card form" onSubmit=${submit} aria-label="Send an SMS">
    <h2>Send an SMS</h2>
    <div class="row">
      <${NumberSelect} numbers=${numbers.data || []} label="From" />
      <label>To <input name="to" placeholder="+15555550111" required /></label>
      <label>Tag <input name="tag" placeholder="optional" /></label>
    </div>
    <label>Message <textarea name="message" rows="2" required></textarea></label>
    <div class="row end">
      <label class="check"><input type="checkbox" name="deliveryReport" checked /> Delivery report</label>
      <button type="submit" disabled=${busy}>${busy ? "Sending…" : "Send"}</button>
    </div>
    <${ErrorBox} error=${error} />
    ${result && html`<p class="ok">Accepted: <a href=${`#/messages/${result}`}>${result}</a></p>`}
  </form>`;
}

export function MessageTable({ items }) {
  return html`<div class="table-wrap">
    <table class="messages">
      <thead>
        <tr><th>Created</th><th>Dir.</th><th>From</th><th>To</th><th>Message</th><th>Status</th></tr>
      </thead>
      <tbody>
        ${items.map(
          (m) => html`<tr>
            <td class="when"><a href=${`#/messages/${m.id}`}>${fmtTime(m.createdAt)}</a></td>
            <td class="dir">${m.direction === "inbound" ? "in" : "out"}</td>
            <td class="from">${m.from}</td>
            <td class="to">${m.to}</td>
            <td class="body">${m.message}</td>
            <td class="status"><${Badge} value=${m.status} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function MessageList() {
  const [filters, setFilters] = useState({});
  const [pages, setPages] = useState([]);
  const first = useLoad(() => get("/tidings/messages", { ...filters, limit: 50 }), [filters], 3000);
  const apply = (event) => {
    setPages([]);
    setFilters(Object.fromEntries(Object.entries(formValues(event)).filter(([, v]) => v)));
  };
  const items = [...(first.data?.value || []), ...pages.flatMap((p) => p.value)];
  const next = pages.length ? pages[pages.length - 1].nextBefore : first.data?.nextBefore;
  const more = async () => {
    const page = await get("/tidings/messages", { ...filters, limit: 50, before: next });
    setPages([...pages, page]);
  };
  return html`<div>
    <${SendForm} onSent=${() => first.reload()} />
    <form class="filters" onSubmit=${apply} aria-label="Filter messages">
      <label>Text <input name="q" type="search" placeholder="contains…" /></label>
      <label>Number <input name="number" placeholder="+1…" /></label>
      <label
        >Direction
        <select name="direction">
          <option value="">Any</option><option value="outbound">Outbound</option>
          <option value="inbound">Inbound</option>
        </select></label
      >
      <label
        >Status
        <select name="status">
          <option value="">Any</option>
          ${["queued", "sent", "delivered", "failed", "received"].map(
            (s) => html`<option value=${s}>${s}</option>`,
          )}
        </select></label
      >
      <label>Tag <input name="tag" /></label>
      <button type="submit">Filter</button>
    </form>
    <${ErrorBox} error=${first.error} />
    ${first.data && !items.length && html`<${Empty}>No messages match.<//>`}
    ${items.length > 0 && html`<${MessageTable} items=${items} />`}
    ${next && html`<button class="secondary" onClick=${more}>Load more</button>`}
  </div>`;
}

function Step({ title, at, children, state = "done" }) {
  return html`<li class=${`step step-${state}`}>
    <div class="step-head"><strong>${title}</strong> <time>${at ? fmtTime(at) : ""}</time></div>
    ${children && html`<div class="step-body">${children}</div>`}
  </li>`;
}

function Timeline({ id }) {
  const timeline = useLoad(() => get(`/tidings/messages/${encodeURIComponent(id)}/timeline`), [id], 1000);
  const t = timeline.data;
  if (!t) return html`<${ErrorBox} error=${timeline.error} />${!timeline.error && html`<p class="loading">Loading…</p>`}`;
  const m = t.message;
  const outbound = m.direction === "outbound";
  return html`<div class="card">
    <p><a href="#/messages">← All messages</a></p>
    <h2>Message <code>${m.id}</code></h2>
    <dl class="facts">
      <dt>From</dt><dd>${m.from}</dd>
      <dt>To</dt><dd>${m.to}</dd>
      <dt>Status</dt><dd><${Badge} value=${m.status} /></dd>
      <dt>Text</dt><dd class="body">${m.message}</dd>
      ${m.tag && html`<dt>Tag</dt><dd>${m.tag}</dd>`}
      ${m.conversationId && html`<dt>Conversation</dt><dd><a href=${`#/conversations/${m.conversationId}`}>open</a></dd>`}
    </dl>
    <${ErrorBox} error=${timeline.error} />
    <ol class="timeline">
      <${Step} title=${outbound ? "Accepted" : "Received"} at=${m.createdAt}>
        ${m.segments} segment${m.segments === 1 ? "" : "s"} (${m.encoding})
      <//>
      ${outbound &&
      html`<${Step} title=${m.carrier ? `Sent to carrier ${m.carrier}` : "Sent to the carrier"} at=${m.sentAt} state=${m.sentAt ? "done" : "waiting"}>${m.carrierMessageId && `carrier id ${m.carrierMessageId}`}<//>`}
      ${outbound &&
      html`<${Step}
        title=${m.deliveryStatus ? `Delivery report: ${m.deliveryStatus}` : "Delivery report"}
        at=${m.finalAt}
        state=${m.deliveryStatus === "Failed" ? "failed" : m.deliveryStatus ? "done" : "waiting"}
      >
        ${m.deliveryStatusDetails}
        ${m.deliveryAttempts.map(
          (a) => html`<div>Attempt ${fmtTime(a.timestamp)}: ${a.segmentsSucceeded} ok, ${a.segmentsFailed} failed</div>`,
        )}
      <//>`}
      ${t.event
        ? html`<${Step} title=${`Event ${t.event.eventType.replace("Microsoft.Communication.", "")}`} at=${t.event.eventTime}>
            id ${t.event.id}
          <//>`
        : html`<${Step} title="Event" state="waiting">${outbound && !m.enableDeliveryReport ? "No delivery report requested" : "Not emitted yet"}<//>`}
      ${t.deliveries.map(
        (d) => html`<${Step}
          title=${`Webhook ${d.subscription}: ${d.status}`}
          at=${d.lastDeliveryAttemptTime || d.publishTime}
          state=${d.status === "deadlettered" ? "failed" : d.status === "delivered" ? "done" : "waiting"}
        >
          ${d.attempts.map(
            (a) => html`<div>
              Attempt ${a.attempt} at ${fmtTime(a.time)}: ${a.outcome} ${a.httpStatusCode ?? ""}
              (${Math.round(a.durationMs)} ms)
            </div>`,
          )}
        <//>`,
      )}
    </ol>
  </div>`;
}

export function Messages({ arg }) {
  return arg ? html`<${Timeline} id=${arg} />` : html`<${MessageList} />`;
}
