import { get, ourNumbers, post, VERSIONS } from "../api.js";
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

function change(action, from, to) {
  return post(`/sms/optouts:${action}`, { from, recipients: [{ to }] }, { "api-version": VERSIONS.optouts }).then(
    (r) => {
      const item = r.value[0];
      if (item.httpStatusCode >= 400) throw new Error(item.errorMessage || `Could not ${action} ${to}.`);
      return item;
    },
  );
}

const LIMIT = 100;

export function OptOuts() {
  const numbers = useLoad(ourNumbers, []);
  const [q, setQ] = useQueryState({ q: "", offset: "0" });
  const offset = Number(q.offset) || 0;
  const list = useLoad(() => get("/tidings/optouts", { q: q.q, limit: LIMIT, offset }), [q.q, offset], 3000);
  const { busy, error, act } = useAction();
  const add = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      await change("add", v.from, v.to.trim());
      form.elements.to.value = "";
      await list.reload();
    });
  };
  const remove = (e) =>
    act(async () => {
      await change("remove", e.from, e.to);
      await list.reload();
    });
  const items = list.data?.value || [];
  return html`<section>
    <form class="card form" onSubmit=${add} aria-label="Add an opt-out">
      <h2>Add an opt-out</h2>
      <div class="row">
        <${NumberSelect} numbers=${numbers.data || []} label="Our number" />
        <label>Recipient <input name="to" placeholder="+15555550111" required /></label>
        <button type="submit" disabled=${busy}>Add</button>
      </div>
      <${ErrorBox} error=${error} />
    </form>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Find opt-outs">
      <${SearchBox} label="Search" placeholder="recipient number" value=${q.q} onSearch=${(text) => setQ({ q: text, offset: "0" })} />
    </form>
    <${ErrorBox} error=${list.error} />
    ${list.data && !items.length && html`<${Empty}>${q.q ? "Nobody on the list matches." : "Nobody has opted out."}<//>`}
    ${items.length > 0 &&
    html`<div class="table-wrap"><table class="optouts stack">
      <thead><tr><th>Recipient</th><th>Our number</th><th>Source</th><th>Since</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>
        ${items.map(
          (e) => html`<tr>
            <td>${e.to}</td>
            <td>${e.from}</td>
            <td>${e.source}</td>
            <td>${fmtTime(e.createdAt)}</td>
            <td><button class="secondary small" disabled=${busy} onClick=${() => remove(e)}>Remove</button></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
    <${Pager} offset=${offset} limit=${LIMIT} count=${items.length} onChange=${(o) => setQ({ ...q, offset: String(o) })} />
  </section>`;
}
