// Small shared pieces: html (htm bound to Preact), formatting, status badges, async state.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
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
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const tickets = useRef({ next: 0, shown: 0, since: 0 });
  const run = useCallback(async () => {
    const t = tickets.current;
    const ticket = ++t.next;
    const fresh = () => ticket > t.shown && ticket > t.since && ((t.shown = ticket), true);
    try {
      const data = await load();
      if (fresh()) setState({ data, error: null, loading: false });
    } catch (error) {
      if (fresh()) setState((s) => ({ data: s.data, error, loading: false }));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    tickets.current.since = tickets.current.next; // answers to earlier requests are stale
    run();
    let timer = null;
    if (every) timer = setInterval(run, every);
    return () => {
      tickets.current.since = Number.MAX_SAFE_INTEGER; // unmounted or superseded
      if (timer) clearInterval(timer);
    };
  }, [run, every]);
  return { ...state, reload: run };
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

export function NumberSelect({ numbers, name = "from", value, onChange, all = false, label }) {
  return html`<label
    >${label || "Number"}
    <select name=${name} value=${value} onChange=${onChange}>
      ${all && html`<option value="">All numbers</option>`}
      ${numbers.map((n) => html`<option value=${n.phoneNumber}>${n.phoneNumber}</option>`)}
    </select></label
  >`;
}
