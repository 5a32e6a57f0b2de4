// Small shared pieces: html (htm bound to Preact), formatting, status badges, async state.
import { h } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import htm from "htm";

export const html = htm.bind(h);

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function fmtPercent(rate) {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

export function fmtNumber(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString();
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return "—";
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function Badge({ value }) {
  const text = value || "—";
  return html`<span class=${`badge badge-${String(text).toLowerCase()}`}>${text}</span>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message || String(error)}</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** Load data with `load()`; reload on `deps` change and every `every` ms when given.
 *  An answer older than one already shown, or asked for before `deps` changed, is dropped,
 *  so a slow superseded request never overwrites a newer state. */
export function useLoad(load, deps = [], every = 0) {
  // `loading` is true while the answer for the current `deps` is awaited (the last data stays
  // on screen, marked as updating); polling refreshes do not set it.
  // The state records the `deps` generation its answer belongs to: on the first render after
  // `deps` change (before the effect below marks it loading) the old answer is not "ready".
  const [state, setState] = useState({ data: null, error: null, loading: true, generation: 0 });
  const generations = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const generation = useMemo(() => ++generations.current, deps);
  const tickets = useRef({ next: 0, shown: 0, since: 0 });
  const run = useCallback(async () => {
    const t = tickets.current;
    const ticket = ++t.next;
    const fresh = () => ticket > t.shown && ticket > t.since && ((t.shown = ticket), true);
    try {
      const data = await load();
      if (fresh()) setState({ data, error: null, loading: false, generation });
    } catch (error) {
      if (fresh()) setState((s) => ({ data: s.data, error, loading: false, generation }));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    tickets.current.since = tickets.current.next; // answers to earlier requests are stale
    setState((s) => (s.loading ? s : { ...s, loading: true }));
    run();
    let timer = null;
    if (every) timer = setInterval(() => document.hidden || run(), every); // not in hidden tabs
    return () => {
      tickets.current.since = Number.MAX_SAFE_INTEGER; // unmounted or superseded
      if (timer) clearInterval(timer);
    };
  }, [run, every]);
  const { generation: answered, ...shown } = state;
  return { ...shown, loading: shown.loading || answered !== generation, reload: run };
}

/** A submit handler that shows progress and the server's error message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const act = useCallback(async (fn) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, act, setError };
}

export function formValues(event) {
  event.preventDefault();
  return Object.fromEntries(new FormData(event.currentTarget).entries());
}

// -- State kept in the URL: #/page/arg?name=value ------------------------------------------

/** The query part of the location's hash. */
export function hashQuery() {
  const hash = window.location.hash;
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}

const lastLists = {};

/** Where "back to the list" goes: the list as it was last filtered. */
export function listHref(page) {
  return lastLists[`#/${page}`] || `#/${page}`;
}

/** Filters kept in the URL (bookmarkable, shareable, restored by Back): values that differ
 *  from `defaults` are written to the hash's query with `replaceState`. */
export function useQueryState(defaults) {
  const read = () => {
    const q = hashQuery();
    const values = { ...defaults };
    for (const name of Object.keys(defaults)) if (q.has(name)) values[name] = q.get(name);
    return values;
  };
  const [state, setState] = useState(read);
  const update = useCallback((next) => {
    const values = typeof next === "function" ? next(read()) : next;
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && value !== null && value !== "" && value !== defaults[name]) {
        params.set(name, value);
      }
    }
    const base = window.location.hash.split("?")[0] || "#/";
    const query = params.toString();
    window.history.replaceState(null, "", query ? `${base}?${query}` : base);
    remember();
    setState(values);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => {
    remember();
    // Back/Forward or an edited address: take the filters from the URL again.
    const path = window.location.hash.split("?")[0];
    const reread = () => window.location.hash.split("?")[0] === path && (remember(), setState(read()));
    window.addEventListener("hashchange", reread);
    return () => window.removeEventListener("hashchange", reread);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return [state, update];
}

function remember() {
  const hash = window.location.hash;
  lastLists[hash.split("?")[0]] = hash;
}

/** The tab's title: "<what> · Tidings". */
export function useTitle(text) {
  useEffect(() => {
    if (text) document.title = `${text} · Tidings`;
  }, [text]);
}

export function BackLink({ page, children }) {
  return html`<p><a href=${listHref(page)}>← ${children}</a></p>`;
}

/** On a phone, a stacked table row shows each cell with its column's header: copy every
 *  header into its cells' `data-label` (the stylesheet shows it), for every page's tables. */
export function labelStackedTables(root) {
  for (const table of root.querySelectorAll("table.stack, table.messages")) {
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (headers[i] && cell.colSpan === 1 && cell.dataset.label !== headers[i]) cell.dataset.label = headers[i];
      });
    }
  }
}

// -- Small shared controls -----------------------------------------------------------------

/** Copies `value`, then says so (for a screen reader too) for a few seconds. */
export function CopyButton({ value, label = "Copy" }) {
  const [said, setSaid] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setSaid("Copied");
    } catch {
      setSaid("Copy failed: select the text and copy it");
    }
    setTimeout(() => setSaid(""), 4000);
  };
  return html`<button type="button" class="secondary" onClick=${copy}>${label}</button>
    <span class="copied" role="status">${said}</span>`;
}

/** Previous/next over an offset-paged list; `count` is the size of the page shown. */
export function Pager({ offset, limit, count, onChange, total }) {
  const page = Math.floor(offset / limit) + 1;
  if (offset === 0 && count < limit) return null;
  return html`<nav class="pager" aria-label="Pages of the list">
    <button type="button" class="secondary small" disabled=${offset === 0} onClick=${() => onChange(Math.max(0, offset - limit))}>
      ← Previous
    </button>
    <span>Page ${page}${total ? ` of ${Math.ceil(total / limit)}` : ""} · ${offset + 1}–${offset + count}</span>
    <button type="button" class="secondary small" disabled=${count < limit} onClick=${() => onChange(offset + limit)}>
      Next →
    </button>
  </nav>`;
}

/** A search box that applies as you type (after a pause) and on Enter. */
export function SearchBox({ value, onSearch, label = "Search", placeholder }) {
  const [text, setText] = useState(value || "");
  const timer = useRef(null);
  useEffect(() => setText(value || ""), [value]);
  const changed = (e) => {
    const next = e.currentTarget.value;
    setText(next);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => onSearch(next.trim()), 300);
  };
  return html`<label
    >${label}
    <input
      type="search"
      value=${text}
      placeholder=${placeholder}
      onInput=${changed}
      onKeyDown=${(e) => e.key === "Enter" && (e.preventDefault(), clearTimeout(timer.current), onSearch(text.trim()))}
  /></label>`;
}

export function NumberSelect({ numbers, name = "from", value, onChange, all = false, label }) {
  return html`<label
    >${label || "Number"}
    <select name=${name} value=${value} onChange=${onChange}>
      ${all && html`<option value="">All numbers</option>`}
      ${numbers.map((n) => html`<option value=${n.phoneNumber}>${n.phoneNumber}</option>`)}
    </select></label
  >`;
}
