import { get, post } from "../api.js";
import { useState } from "preact/hooks";
import {
  BackLink,
  Empty,
  ErrorBox,
  fmtTime,
  formValues,
  html,
  SearchBox,
  useAction,
  useLoad,
  useQueryState,
  useTitle,
} from "../ui.js";

const names = (participants) => (participants || []).map((p) => p.displayName || p.communicationIdentifier?.rawId).join(", ");

function text(m) {
  const c = m.content || {};
  if (m.deletedOn) return html`<em>deleted</em>`;
  if (m.type === "text" || m.type === "html") return c.message;
  if (m.type === "topicUpdated") return `Topic changed to “${c.topic}”`;
  if (m.type === "participantAdded") return `Added ${names(c.participants)}`;
  if (m.type === "participantRemoved") return `Removed ${names(c.participants)}`;
  return m.type;
}

// Posting needs a communication user (Teams users and phone numbers are not ours to act as).
const isUser = (p) => p.communicationIdentifier?.rawId?.startsWith("8:acs:");

function Compose({ threadId, participants, onSent }) {
  const { busy, error, act } = useAction();
  const senders = participants.filter(isUser);
  if (!senders.length) return html`<p class="hint">No communication user in this thread to post as.</p>`;
  const send = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    const sender = senders.find((p) => p.communicationIdentifier.rawId === v.sender);
    act(async () => {
      await post(`/tidings/chat/threads/${encodeURIComponent(threadId)}/messages`, {
        senderId: v.sender,
        content: v.message,
        senderDisplayName: sender?.displayName || undefined,
      });
      form.querySelector("input[name=message]").value = "";
      onSent();
    });
  };
  return html`<form class="compose chat-compose" onSubmit=${send} aria-label="Post as a participant">
      <label>Post as
        <select name="sender">
          ${senders.map(
            (p) => html`<option value=${p.communicationIdentifier.rawId}>${p.displayName || p.communicationIdentifier.rawId}</option>`,
          )}
        </select>
      </label>
      <label class="grow"
        >Message
        <input name="message" placeholder="Message" required maxlength="28000" />
      </label>
      <button type="submit" disabled=${busy}>Send</button>
    </form>
    <p class="hint">Posts as the chosen participant, as their Chat SDK would (same checks and events).</p>
    <${ErrorBox} error=${error} />`;
}

function ThreadTitle({ topic }) {
  useTitle(`Chat: ${topic}`);
  return null;
}

function Thread({ id }) {
  const thread = useLoad(() => get(`/tidings/chat/threads/${encodeURIComponent(id)}`), [id], 2000);
  if (!thread.data) return html`<${ErrorBox} error=${thread.error} />`;
  const { thread: t, participants, messages } = thread.data;
  return html`<div>
    <${ThreadTitle} topic=${t.topic} />
    <${BackLink} page="chat">All threads<//>
    <div class="grid2 chat">
      <div class="card thread">
        <h2>${t.topic}</h2>
        <ol class="bubbles chat-messages" aria-label="Chat messages">
          ${!messages.length && html`<li class="empty">No messages yet.</li>`}
          ${[...messages].reverse().map((m) =>
            m.type === "text" || m.type === "html"
              ? html`<li class="bubble theirs">
                  <div class="bubble-text">${text(m)}</div>
                  <div class="bubble-meta">${m.senderDisplayName || m.senderCommunicationIdentifier?.rawId || "?"} · ${fmtTime(m.createdOn)}${m.editedOn ? " · edited" : ""}</div>
                </li>`
              : html`<li class="system">${text(m)} · ${fmtTime(m.createdOn)}</li>`,
          )}
        </ol>
        <${Compose} threadId=${t.id} participants=${participants} onSent=${thread.reload} />
      </div>
      <div class="card">
        <h2>Participants (${participants.length})</h2>
        <ul class="plain participants">
          ${participants.map(
            (p) => html`<li><strong>${p.displayName || "—"}</strong><br /><code>${p.communicationIdentifier.rawId}</code></li>`,
          )}
        </ul>
        <dl class="facts">
          <dt>Thread</dt><dd><code>${t.id}</code></dd>
          <dt>Created</dt><dd>${fmtTime(t.createdOn)}</dd>
        </dl>
      </div>
    </div>
    <${ErrorBox} error=${thread.error} />
  </div>`;
}

const LIMIT = 50;

function List() {
  // Keyset pages: `before` is the cursor of the page shown; earlier cursors allow going back.
  const [q, setQ] = useQueryState({ q: "", before: "" });
  const [previous, setPrevious] = useState([]);
  const threads = useLoad(
    () => get("/tidings/chat/threads", { limit: LIMIT, q: q.q, before: q.before }),
    [q.q, q.before],
    3000,
  );
  const items = threads.data?.value || [];
  const next = threads.data?.nextBefore;
  const search = (text) => {
    setPrevious([]);
    setQ({ q: text, before: "" });
  };
  return html`<section>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Find chat threads">
      <${SearchBox} label="Search" placeholder="topic" value=${q.q} onSearch=${search} />
    </form>
    <${ErrorBox} error=${threads.error} />
    ${threads.data && !items.length && html`<${Empty}>${q.q ? "No thread matches." : "No chat threads yet."}<//>`}
    ${items.length > 0 &&
    html`<div class="table-wrap"><table class="threads stack">
      <thead><tr><th>Topic</th><th>Last message</th><th>Created</th></tr></thead>
      <tbody>
        ${items.map(
          (t) => html`<tr>
            <td class="body"><a href=${`#/chat/${encodeURIComponent(t.id)}`}>${t.topic}</a></td>
            <td>${fmtTime(t.lastMessageReceivedOn)}</td>
            <td>${fmtTime(t.createdOn)}</td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
    ${(previous.length > 0 || next) &&
    html`<nav class="pager" aria-label="Pages of the list">
      <button type="button" class="secondary small" disabled=${!previous.length} onClick=${() => {
        setQ({ ...q, before: previous[previous.length - 1] });
        setPrevious(previous.slice(0, -1));
      }}>← Previous</button>
      <span>Page ${previous.length + 1}</span>
      <button type="button" class="secondary small" disabled=${!next} onClick=${() => {
        setPrevious([...previous, q.before]);
        setQ({ ...q, before: next });
      }}>Next →</button>
    </nav>`}
  </section>`;
}

export function Chat({ arg }) {
  return arg ? html`<${Thread} id=${arg} />` : html`<${List} />`;
}
