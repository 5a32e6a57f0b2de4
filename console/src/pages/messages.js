import { useEffect, useState } from "preact/hooks";
import { get, ourNumbers, sendSms } from "../api.js";
import { analyze } from "../segments.js";
import {
  BackLink,
  Badge,
  Empty,
  ErrorBox,
  fmtTime,
  html,
  NumberSelect,
  useAction,
  useLoad,
  useQueryState,
  useTitle,
} from "../ui.js";

const FINAL = new Set(["delivered", "failed", "received"]);

/** Characters, encoding and segments as the API will count them. */
export function SegmentCounter({ text, id }) {
  const a = analyze(text);
  const unit = a.encoding === "GSM-7" ? "septets" : "UTF-16 units";
  return html`<p class="hint counter" id=${id} aria-live="polite">
    ${`${a.characters} character${a.characters === 1 ? "" : "s"} · ${a.encoding} · ${a.units} ${unit} · `}
    <strong>${a.segments} segment${a.segments === 1 ? "" : "s"}</strong> (${a.perSegment} per segment)
  </p>`;
}

/** The message just sent, followed until it settles: accepted is not delivered. */
function SendResult({ id }) {
  const state = useLoad(() => get(`/tidings/messages/${encodeURIComponent(id)}`), [id], 1000);
  const m = state.data;
  const link = html`<a href=${`#/messages/${encodeURIComponent(id)}`}>${id}</a>`;
  if (!m) return html`<p class="send-result ok" role="status">Accepted: ${link}</p>`;
  if (m.status === "failed") {
    return html`<p class="send-result error" role="alert">
      Accepted, then failed: ${m.deliveryStatusDetails || "the carrier refused it"} (${link})
    </p>`;
  }
  if (m.status === "sent" && !m.enableDeliveryReport) {
    return html`<p class="send-result ok" role="status">Sent to the carrier (no delivery report requested): ${link}</p>`;
  }
  const settled = FINAL.has(m.status);
  return html`<p class=${`send-result ${settled ? "ok" : "notice"}`} role="status">
    ${settled ? "Delivered" : `Accepted, ${m.status}…`}: ${link}
  </p>`;
}

function SendForm({ onSent }) {
  const numbers = useLoad(ourNumbers, []);
  const { busy, error, act } = useAction();
  const [v, setV] = useState({ from: "", to: "", message: "", tag: "", deliveryReport: true });
  const [result, setResult] = useState(null);
  const field = (name) => (e) => {
    const t = e.currentTarget;
    setV((old) => ({ ...old, [name]: t.type === "checkbox" ? t.checked : t.value }));
  };
  const from = v.from || numbers.data?.[0]?.phoneNumber || "";
  const submit = (event) => {
    event.preventDefault();
    act(async () => {
      const sent = await sendSms({
        from,
        to: v.to.trim(),
        message: v.message,
        tag: v.tag.trim(),
        deliveryReport: v.deliveryReport,
      });
      if (!sent.successful) throw new Error(sent.errorMessage || "The message was not accepted.");
      setResult(sent.messageId);
      setV((old) => ({ ...old, to: "", message: "", tag: "" }));
      onSent(sent.messageId);
    });
  };
  return html`<form class="card form" onSubmit=${submit} aria-label="Send an SMS">
    <h2>Send an SMS</h2>
    <div class="row">
      <${NumberSelect} numbers=${numbers.data || []} label="From" value=${from} onChange=${field("from")} />
      <label>To <input name="to" value=${v.to} onInput=${field("to")} placeholder="+15555550111" required /></label>
      <label>Tag <input name="tag" value=${v.tag} onInput=${field("tag")} placeholder="optional" /></label>
    </div>
    <label
      >Message
      <textarea name="message" rows="2" required value=${v.message} onInput=${field("message")} aria-describedby="message-counter"></textarea>
    </label>
    <${SegmentCounter} text=${v.message} id="message-counter" />
    <div class="row end">
      <label class="check"><input type="checkbox" name="deliveryReport" checked=${v.deliveryReport} onChange=${field("deliveryReport")} /> Delivery report</label>
      <button type="submit" disabled=${busy}>${busy ? "Sending…" : "Send"}</button>
    </div>
    <${ErrorBox} error=${error} />
    ${result && html`<${SendResult} key=${result} id=${result} />`}
  </form>`;
}

/** Why a message failed, in the row: the delivery report's details. */
function Reason({ m }) {
  if (m.status !== "failed") return null;
  return html`<div class="reason">${m.deliveryStatusDetails || "Failed without details"}</div>`;
}

export function MessageTable({ items }) {
  return html`<div class="table-wrap">
    <table class="messages">
      <thead>
        <tr><th>Created</th><th>Dir.</th><th>From</th><th>To</th><th>Message</th><th>Tag</th><th>Segments</th><th>Status</th></tr>
      </thead>
      <tbody>
        ${items.map(
          (m) => html`<tr>
            <td class="when"><a href=${`#/messages/${encodeURIComponent(m.id)}`}>${fmtTime(m.createdAt)}</a></td>
            <td class="dir">${m.direction === "inbound" ? "in" : "out"}</td>
            <td class="from">${m.from}</td>
            <td class="to">${m.to}</td>
            <td class="body">${m.message}</td>
            <td class="tag" data-label="Tag">${m.tag || ""}</td>
            <td class="segments" data-label="Segments" title=${m.encoding}>${m.segments}</td>
            <td class="status"><${Badge} value=${m.status} /><${Reason} m=${m} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

const FILTERS = { q: "", number: "", direction: "", status: "", tag: "" };

function MessageList() {
  const [filters, setFilters] = useQueryState(FILTERS);
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters]);
  const [pages, setPages] = useState([]);
  const first = useLoad(() => get("/tidings/messages", { ...filters, limit: 50 }), [filters], 3000);
  const apply = (event) => {
    event.preventDefault();
    setPages([]);
    setFilters({ ...draft });
  };
  const field = (name) => (e) => {
    const value = e.currentTarget.value;
    setDraft((old) => ({ ...old, [name]: value }));
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
      <label>Text <input name="q" type="search" value=${draft.q} onInput=${field("q")} placeholder="contains…" /></label>
      <label>Number <input name="number" value=${draft.number} onInput=${field("number")} placeholder="+1…" /></label>
      <label
        >Direction
        <select name="direction" value=${draft.direction} onChange=${field("direction")}>
          <option value="">Any</option><option value="outbound">Outbound</option>
          <option value="inbound">Inbound</option>
        </select></label
      >
      <label
        >Status
        <select name="status" value=${draft.status} onChange=${field("status")}>
          <option value="">Any</option>
          ${["queued", "sent", "delivered", "failed", "received"].map(
            (s) => html`<option value=${s}>${s}</option>`,
          )}
        </select></label
      >
      <label>Tag <input name="tag" value=${draft.tag} onInput=${field("tag")} /></label>
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

/** A message's parts at the SMSC: each submission (the SMSC's message id, the bind that
 *  sent it) and every delivery receipt (final or not), in the order they happened. */
function SmppParts({ smpp }) {
  const rows = smpp.parts.flatMap((p) => [
    ...p.submissions.map((s) => ({ part: p, at: s.acceptedAt, what: "Accepted (submit_sm_resp)", id: s.smscMessageId, bind: s.bind })),
    ...p.receipts.map((r) => ({
      part: p,
      at: r.receivedAt,
      what: `Receipt ${r.stat}${r.messageState ? ` (${r.messageState})` : ""}${r.final ? "" : ", not final"}`,
      id: r.id,
      err: [r.err, r.networkError && `network ${r.networkError}`].filter(Boolean).join(" · "),
      bind: r.bind,
    })),
  ]);
  rows.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.part.part - b.part.part));
  return html`<div class="table-wrap"><table class="stack smpp" aria-label=${`SMPP parts and receipts at carrier ${smpp.carrier}`}>
    <thead><tr><th scope="col">Part</th><th scope="col">Time</th><th scope="col">Event</th><th scope="col">SMSC id</th><th scope="col">err</th><th scope="col">Bind</th></tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr>
          <td>${r.part.part}/${r.part.parts}</td>
          <td><time datetime=${r.at}>${fmtTime(r.at)}</time></td>
          <td>${r.what}</td>
          <td><code>${r.id ?? ""}</code></td>
          <td>${r.err || ""}</td>
          <td>${r.bind ?? ""}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

/** The SMPP step's state: failed on a failed final receipt, done once every part has a final one. */
function smppState(smpp) {
  const finals = smpp.parts.map((p) => p.receipts.filter((r) => r.final).pop());
  if (finals.some((r) => r && r.stat !== "DELIVRD")) return "failed";
  const all = smpp.parts.length === smpp.parts[0].parts;
  return all && finals.every(Boolean) ? "done" : "waiting";
}

function Timeline({ id }) {
  useTitle(`Message ${id}`);
  const timeline = useLoad(() => get(`/tidings/messages/${encodeURIComponent(id)}/timeline`), [id], 1000);
  const t = timeline.data;
  if (!t) return html`<${ErrorBox} error=${timeline.error} />${!timeline.error && html`<p class="loading">Loading…</p>`}`;
  const m = t.message;
  const outbound = m.direction === "outbound";
  return html`<div class="card">
    <${BackLink} page="messages">All messages<//>
    <h2>Message <code>${m.id}</code></h2>
    <dl class="facts">
      <dt>From</dt><dd>${m.from}</dd>
      <dt>To</dt><dd>${m.to}</dd>
      <dt>Status</dt><dd><${Badge} value=${m.status} /></dd>
      ${m.status === "failed" && html`<dt>Why</dt><dd class="reason">${m.deliveryStatusDetails || "Failed without details"}</dd>`}
      <dt>Text</dt><dd class="body">${m.message}</dd>
      <dt>Segments</dt><dd>${m.segments} (${m.encoding})</dd>
      ${m.tag && html`<dt>Tag</dt><dd>${m.tag}</dd>`}
      ${m.conversationId && html`<dt>Conversation</dt><dd><a href=${`#/conversations/${m.conversationId}`}>open</a></dd>`}
    </dl>
    <${ErrorBox} error=${timeline.error} />
    <ol class="timeline">
      <${Step} title=${outbound ? "Accepted" : "Received"} at=${m.createdAt}>
        ${m.segments} segment${m.segments === 1 ? "" : "s"} (${m.encoding})
      <//>
      ${outbound &&
      html`<${Step} title=${m.carrier ? `Sent to carrier ${m.carrier}` : "Sent to the carrier"} at=${m.sentAt} state=${m.sentAt ? "done" : m.status === "failed" ? "failed" : "waiting"}>
        ${!m.sentAt && m.status === "failed" ? "Not sent" : m.carrierMessageId && `carrier id ${m.carrierMessageId}`}
      <//>`}
      ${t.smpp &&
      html`<${Step} title=${`SMPP carrier ${t.smpp.carrier}: ${t.smpp.parts[0].parts} part${t.smpp.parts[0].parts === 1 ? "" : "s"}`} state=${smppState(t.smpp)}>
        <${SmppParts} smpp=${t.smpp} />
      <//>`}
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
          <a href=${`#/subscriptions/${encodeURIComponent(d.subscription)}`}>delivery log</a>
          ${d.attempts.map(
            (a) => html`<div>
              Attempt ${a.attempt} at ${fmtTime(a.time)}: ${a.outcome} ${a.httpStatusCode ?? ""}
              (${Math.round(a.durationMs)} ms)${a.error ? ` · ${a.error}` : ""}
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
