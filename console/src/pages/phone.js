import { useEffect, useRef, useState } from "preact/hooks";
import { get, ourNumbers, post, put } from "../api.js";
import {
  Empty,
  ErrorBox,
  fmtTime,
  formValues,
  html,
  NumberSelect,
  Pager,
  SearchBox,
  useAction,
  useLoad,
  useQueryState,
} from "../ui.js";

/** The handset's inbox, kept live by polling for messages after the last one seen. */
function useInbox(number) {
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const last = useRef(0);
  useEffect(() => {
    let live = true;
    last.current = 0;
    setItems([]);
    const poll = async () => {
      try {
        while (live) {
          const page = await get(`/tidings/simulator/handsets/${encodeURIComponent(number)}/messages`, {
            after: last.current,
            limit: 500,
          });
          if (!live || !page.value.length) break;
          last.current = page.value[page.value.length - 1].id;
          setItems((old) => [...old, ...page.value]);
          if (page.value.length < 500) break;
        }
        if (live) setError(null);
      } catch (e) {
        if (live) setError(e);
      }
    };
    poll();
    const timer = setInterval(() => document.hidden || poll(), 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [number]);
  return { items, error };
}

function Handset({ number }) {
  const numbers = useLoad(ourNumbers, []);
  const inbox = useInbox(number);
  const { busy, error, act } = useAction();
  const [last, setLast] = useState(null);
  const end = useRef(null);
  useEffect(() => end.current?.scrollIntoView({ block: "nearest" }), [inbox.items.length]);
  const send = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      const result = await post(`/tidings/simulator/handsets/${encodeURIComponent(number)}/messages`, {
        to: v.from,
        message: v.message,
      });
      setLast(result);
      form.elements.message.value = "";
    });
  };
  return html`<div class="phone">
    <div class="phone-head">
      <strong>${number}</strong>
      <span class="hint">simulated handset</span>
    </div>
    <ol class="bubbles phone-inbox" aria-label="Inbox" aria-live="polite">
      ${!inbox.items.length && html`<li class="empty">No messages yet. Text one of your numbers.</li>`}
      ${inbox.items.map(
        (m) => html`<li class=${m.direction === "sent" ? "bubble ours" : "bubble theirs"}>
          <div class="bubble-text">${m.message}</div>
          <div class="bubble-meta">${m.direction === "sent" ? "to" : "from"} ${m.peer} · ${fmtTime(m.at)}</div>
        </li>`,
      )}
      <li ref=${end} class="end"></li>
    </ol>
    <${ErrorBox} error=${inbox.error} />
    <form class="compose" onSubmit=${send} aria-label="Text a Tidings number">
      <${NumberSelect} numbers=${numbers.data || []} label="To" />
      <label class="grow"
        >Message
        <input name="message" placeholder="Text (try STOP, START or HELP)" required />
      </label>
      <button type="submit" disabled=${busy || !numbers.data?.length}>Send</button>
    </form>
    <${ErrorBox} error=${error} />
    ${last?.keyword &&
    html`<p class="notice">Keyword ${last.keyword.keyword}: ${last.keyword.action}${last.autoReplyMessageId ? ", auto-reply queued" : ""}</p>`}
    ${last?.dropped && html`<p class="notice">Not delivered to Tidings: ${last.dropped}</p>`}
  </div>`;
}

const LIMIT = 50;

export function Phone({ arg }) {
  const [q, setQ] = useQueryState({ q: "", offset: "0" });
  const offset = Number(q.offset) || 0;
  const handsets = useLoad(
    () => get("/tidings/simulator/handsets", { q: q.q, limit: LIMIT, offset }),
    [q.q, offset],
  );
  const { busy, error, act } = useAction();
  // Picking a handset keeps the list's search and page in the address.
  const query = window.location.hash.split("?")[1];
  const href = (number) => `#/phone/${number}${query ? `?${query}` : ""}`;
  const create = (event) => {
    const v = formValues(event);
    act(async () => {
      const handset = await put(`/tidings/simulator/handsets/${encodeURIComponent(v.number.trim())}`, {});
      await handsets.reload();
      window.location.hash = href(handset.number);
    });
  };
  const items = handsets.data?.value || [];
  const selected = arg || items[0]?.number;
  return html`<div class="phone-page">
    <aside class="card handsets">
      <h2>Handsets</h2>
      <form onSubmit=${(e) => e.preventDefault()} aria-label="Find handsets">
        <${SearchBox} label="Search" placeholder="handset number" value=${q.q} onSearch=${(text) => setQ({ q: text, offset: "0" })} />
      </form>
      <${ErrorBox} error=${handsets.error} />
      ${handsets.data && !items.length && html`<${Empty}>${q.q || offset ? "No handset matches." : "No handsets yet."}<//>`}
      <ul class="plain">
        ${items.map(
          (h) => html`<li>
            <a class=${h.number === selected ? "active" : ""} href=${href(h.number)}>${h.number}</a>
          </li>`,
        )}
      </ul>
      <${Pager} offset=${offset} limit=${LIMIT} count=${items.length} onChange=${(o) => setQ({ ...q, offset: String(o) })} />
      <form onSubmit=${create} class="compose" aria-label="New handset">
        <label class="grow"
          >New handset number
          <input name="number" placeholder="+15555550123" required />
        </label>
        <button type="submit" disabled=${busy}>Add</button>
      </form>
      <${ErrorBox} error=${error} />
    </aside>
    ${selected ? html`<${Handset} key=${selected} number=${selected} />` : html`<${Empty}>Create a handset to start.<//>`}
  </div>`;
}
