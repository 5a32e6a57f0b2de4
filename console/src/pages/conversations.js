import { useState } from "preact/hooks";
import { get, ourNumbers, sendSms } from "../api.js";
import { SegmentCounter } from "./messages.js";
import {
  BackLink,
  Badge,
  Empty,
  ErrorBox,
  fmtTime,
  html,
  NumberSelect,
  Pager,
  SearchBox,
  useAction,
  useLoad,
  useQueryState,
  useTitle,
} from "../ui.js";

function Thread({ id }) {
  const thread = useLoad(
    () => get(`/tidings/conversations/${encodeURIComponent(id)}/messages`, { limit: 200 }),
    [id],
    2000,
  );
  const { busy, error, act } = useAction();
  const [text, setText] = useState("");
  const c = thread.data?.conversation;
  useTitle(c ? `${c.peerNumber} ↔ ${c.ourNumber}` : "Conversation");
  if (!thread.data) return html`<${ErrorBox} error=${thread.error} />`;
  const messages = [...thread.data.value].reverse();
  const reply = (event) => {
    event.preventDefault();
    act(async () => {
      const sent = await sendSms({ from: c.ourNumber, to: c.peerNumber, message: text });
      if (!sent.successful) throw new Error(sent.errorMessage || "The reply was not accepted.");
      setText("");
      thread.reload();
    });
  };
  return html`<div class="card thread">
    <${BackLink} page="conversations">All conversations<//>
    <h2>${c.peerNumber} ↔ ${c.ourNumber}</h2>
    <ol class="bubbles" aria-label="Messages">
      ${messages.map(
        (m) => html`<li class=${m.direction === "outbound" ? "bubble ours" : "bubble theirs"}>
          <div class="bubble-text">${m.message}</div>
          <div class="bubble-meta">
            <a href=${`#/messages/${encodeURIComponent(m.id)}`}>${fmtTime(m.createdAt)}</a>
            ${m.direction === "outbound" && html` · <${Badge} value=${m.status} />`}
            ${m.status === "failed" && m.deliveryStatusDetails && html` · ${m.deliveryStatusDetails}`}
          </div>
        </li>`,
      )}
    </ol>
    <form class="compose" onSubmit=${reply} aria-label="Reply">
      <label class="grow"
        >Reply from ${c.ourNumber}
        <input name="message" required value=${text} onInput=${(e) => setText(e.currentTarget.value)} aria-describedby="reply-counter" />
      </label>
      <button type="submit" disabled=${busy}>Send</button>
    </form>
    <${SegmentCounter} text=${text} id="reply-counter" />
    <${ErrorBox} error=${error} />
  </div>`;
}

const LIMIT = 50;

function List() {
  const numbers = useLoad(ourNumbers, []);
  const [q, setQ] = useQueryState({ number: "", q: "", offset: "0" });
  const offset = Number(q.offset) || 0;
  const list = useLoad(
    () => get("/tidings/conversations", { number: q.number, q: q.q, limit: LIMIT, offset }),
    [q.number, q.q, offset],
    3000,
  );
  const rows = list.data?.value || [];
  return html`<div>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Find conversations">
      <${NumberSelect}
        numbers=${numbers.data || []}
        name="number"
        value=${q.number}
        onChange=${(e) => setQ({ ...q, number: e.currentTarget.value, offset: "0" })}
        all
      />
      <${SearchBox}
        label="Search"
        placeholder="a number, or text in a message"
        value=${q.q}
        onSearch=${(text) => setQ({ ...q, q: text, offset: "0" })}
      />
    </form>
    <${ErrorBox} error=${list.error} />
    ${list.data && !rows.length && html`<${Empty}>${q.q ? "No conversation matches." : "No conversations yet."}<//>`}
    ${rows.length > 0 &&
    html`<div class="table-wrap"><table class="conversations stack">
      <thead><tr><th>Peer</th><th>Our number</th><th>Last message</th><th>Messages</th><th>When</th></tr></thead>
      <tbody>
        ${rows.map(
          (c) => html`<tr>
            <td><a href=${`#/conversations/${c.id}`}>${c.peerNumber}</a></td>
            <td>${c.ourNumber}</td>
            <td class="body preview">${c.preview || ""}</td>
            <td>${c.messageCount}</td>
            <td>${fmtTime(c.lastMessageAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
    <${Pager} offset=${offset} limit=${LIMIT} count=${rows.length} onChange=${(o) => setQ({ ...q, offset: String(o) })} />
  </div>`;
}

export function Conversations({ arg }) {
  return arg ? html`<${Thread} id=${arg} />` : html`<${List} />`;
}
