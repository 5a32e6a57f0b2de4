import { get, ourNumbers, sendSms } from "../api.js";
import { Badge, Empty, ErrorBox, fmtTime, formValues, html, NumberSelect, useAction, useLoad } from "../ui.js";
import { useState } from "preact/hooks";

function Thread({ id }) {
  const thread = useLoad(
    () => get(`/tidings/conversations/${encodeURIComponent(id)}/messages`, { limit: 200 }),
    [id],
    2000,
  );
  const { busy, error, act } = useAction();
  if (!thread.data) return html`<${ErrorBox} error=${thread.error} />`;
  const c = thread.data.conversation;
  const messages = [...thread.data.value].reverse();
  const reply = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      const sent = await sendSms({ from: c.ourNumber, to: c.peerNumber, message: v.message });
      if (!sent.successful) throw new Error(sent.errorMessage || "The reply was not accepted.");
      form.reset();
      thread.reload();
    });
  };
  return html`<div class="card thread">
    <p><a href="#/conversations">← All conversations</a></p>
    <h2>${c.peerNumber} ↔ ${c.ourNumber}</h2>
    <ol class="bubbles">
      ${messages.map(
        (m) => html`<li class=${m.direction === "outbound" ? "bubble ours" : "bubble theirs"}>
          <div class="bubble-text">${m.message}</div>
          <div class="bubble-meta">
            <a href=${`#/messages/${m.id}`}>${fmtTime(m.createdAt)}</a>
            ${m.direction === "outbound" && html` · <${Badge} value=${m.status} />`}
          </div>
        </li>`,
      )}
    </ol>
    <form class="compose" onSubmit=${reply} aria-label="Reply">
      <input name="message" placeholder=${`Reply from ${c.ourNumber}`} required />
      <button type="submit" disabled=${busy}>Send</button>
    </form>
    <${ErrorBox} error=${error} />
  </div>`;
}

function List() {
  const numbers = useLoad(ourNumbers, []);
  const [number, setNumber] = useState("");
  const list = useLoad(() => get("/tidings/conversations", { number, limit: 200 }), [number], 3000);
  return html`<div>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <${NumberSelect}
        numbers=${numbers.data || []}
        name="number"
        value=${number}
        onChange=${(e) => setNumber(e.currentTarget.value)}
        all
      />
    </form>
    <${ErrorBox} error=${list.error} />
    ${list.data && !list.data.value.length && html`<${Empty}>No conversations yet.<//>`}
    ${list.data?.value.length > 0 &&
    html`<div class="table-wrap"><table class="stack">
      <thead><tr><th>Peer</th><th>Our number</th><th>Messages</th><th>Last message</th></tr></thead>
      <tbody>
        ${list.data.value.map(
          (c) => html`<tr>
            <td><a href=${`#/conversations/${c.id}`}>${c.peerNumber}</a></td>
            <td>${c.ourNumber}</td>
            <td>${c.messageCount}</td>
            <td>${fmtTime(c.lastMessageAt)}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
  </div>`;
}

export function Conversations({ arg }) {
  return arg ? html`<${Thread} id=${arg} />` : html`<${List} />`;
}
