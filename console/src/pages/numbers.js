import { del, get, post, VERSIONS } from "../api.js";
import {
  Empty,
  ErrorBox,
  fmtTime,
  formValues,
  html,
  Pager,
  SearchBox,
  useAction,
  useLoad,
  useQueryState,
} from "../ui.js";
import { BuyNumbers } from "./buy_numbers.js";

const TYPES = ["tollFree", "geographic", "mobile", "shortCode", "alphanumeric"];

const LIMIT = 50;

export function Numbers() {
  const [q, setQ] = useQueryState({ q: "", offset: "0" });
  const offset = Number(q.offset) || 0;
  const numbers = useLoad(
    () =>
      get("/phoneNumbers", { "api-version": VERSIONS.numbers, q: q.q, skip: offset, top: LIMIT }).then(
        (page) => page.phoneNumbers || [],
      ),
    [q.q, offset],
  );
  const { busy, error, act } = useAction();
  const add = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      await post("/tidings/numbers", {
        phoneNumber: v.phoneNumber.trim(),
        phoneNumberType: v.phoneNumberType,
        sms: v.sms,
      });
      form.reset();
      await numbers.reload();
    });
  };
  const release = (n) =>
    window.confirm(`Release ${n}? It stops sending and receiving at once.`) &&
    act(async () => {
      await del(`/phoneNumbers/${encodeURIComponent(n)}`, { "api-version": VERSIONS.numbers });
      await numbers.reload();
    });
  return html`<section>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Find numbers">
      <${SearchBox} label="Search" placeholder="number or sender id" value=${q.q} onSearch=${(text) => setQ({ q: text, offset: "0" })} />
    </form>
    <${ErrorBox} error=${numbers.error} />
    ${numbers.data && !numbers.data.length && html`<${Empty}>${q.q || offset ? "No number matches." : "No numbers yet."}<//>`}
    ${numbers.data?.length > 0 &&
    html`<div class="table-wrap"><table class="stack" aria-label="Our numbers">
      <thead><tr><th>Number</th><th>Type</th><th>SMS</th><th>Country</th><th>Since</th><th><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>
        ${numbers.data.map(
          (n) => html`<tr>
            <td>${n.phoneNumber}</td>
            <td>${n.phoneNumberType}</td>
            <td>${n.capabilities.sms}</td>
            <td>${n.countryCode}</td>
            <td>${fmtTime(n.purchaseDate)}</td>
            <td><button class="danger small" onClick=${() => release(n.phoneNumber)}>Release</button></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
    <${Pager} offset=${offset} limit=${LIMIT} count=${numbers.data?.length || 0} onChange=${(o) => setQ({ ...q, offset: String(o) })} />
    <${BuyNumbers} onBought=${numbers.reload} />
    <form class="card form" onSubmit=${add} aria-label="Add a number">
      <h2>Add a number</h2>
      <div class="row">
        <label>Number or sender id <input name="phoneNumber" placeholder="+18005550101" required /></label>
        <label
          >Type
          <select name="phoneNumberType">
            ${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
          </select></label
        >
        <label
          >SMS
          <select name="sms">
            <option value="inbound+outbound">inbound+outbound</option>
            <option value="outbound">outbound</option>
            <option value="inbound">inbound</option>
            <option value="none">none</option>
          </select></label
        >
      </div>
      <div class="row end"><button type="submit" disabled=${busy}>Add</button></div>
      <${ErrorBox} error=${error} />
    </form>
  </section>`;
}
