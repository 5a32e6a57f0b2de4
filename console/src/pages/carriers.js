// Carriers (with each SMPP bind's state, refreshed live) and the MT route table.
import { del, get, post, request } from "../api.js";
import "./carriers.css";
import { Badge, Empty, ErrorBox, fmtNumber, fmtTime, formValues, html, useAction, useLoad } from "../ui.js";

const NUMBER_TYPES = ["", "tollFree", "geographic", "mobile", "shortCode", "alphanumeric"];

function Binds({ binds }) {
  if (!binds.length) return html`<span class="muted">no binds</span>`;
  return html`<ul class="binds">
    ${binds.map(
      (b) => html`<li>
        <${Badge} value=${b.state} /> ${b.bind} (${b.mode}) · window ${b.windowUsed} · ${fmtNumber(b.submitted)}
        submitted${b.owner ? ` · ${b.owner}` : ""}
        ${b.lastError &&
        html`<div class="error">
          ${b.lastError}${b.lastStatus !== null ? ` (status 0x${b.lastStatus.toString(16).padStart(2, "0")})` : ""}
        </div>`}
        <div class="muted">since ${fmtTime(b.since)}</div>
      </li>`,
    )}
  </ul>`;
}

function options(o) {
  const entries = Object.entries(o);
  if (!entries.length) return html`<span class="muted">defaults</span>`;
  return html`<code>${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}</code>`;
}

function criteria(r) {
  const parts = [r.prefix ? `to ${r.prefix}…` : "any destination"];
  if (r.sender) parts.push(`from ${r.sender}`);
  if (r.numberType) parts.push(`${r.numberType} senders`);
  if (r.priority) parts.push(`priority ${r.priority}`);
  return parts.join(", ");
}

export function Carriers() {
  const carriers = useLoad(() => get("/tidings/carriers"), [], 2000);
  const routes = useLoad(() => get("/tidings/routes"), []);
  const { busy, error, act } = useAction();
  const reload = async () => {
    await carriers.reload();
    await routes.reload();
  };
  const addCarrier = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      let parsed = {};
      if (v.options.trim()) {
        try {
          parsed = JSON.parse(v.options);
        } catch {
          throw new Error("Options must be a JSON object, like {\"host\": \"smsc.example.net\"}.");
        }
      }
      await post("/tidings/carriers", { name: v.name.trim(), kind: v.kind, options: parsed });
      form.reset();
      await reload();
    });
  };
  const toggle = (c) =>
    act(async () => {
      await request("PATCH", `/tidings/carriers/${encodeURIComponent(c.name)}`, { enabled: !c.enabled });
      await reload();
    });
  const removeCarrier = (c) =>
    window.confirm(`Remove carrier ${c.name}?`) &&
    act(async () => {
      await del(`/tidings/carriers/${encodeURIComponent(c.name)}`);
      await reload();
    });
  const addRoute = (event) => {
    const v = formValues(event);
    const form = event.currentTarget;
    act(async () => {
      await post("/tidings/routes", {
        carriers: v.carriers.split(",").map((s) => s.trim()).filter(Boolean),
        strategy: v.strategy,
        prefix: v.prefix.trim() || null,
        sender: v.sender.trim() || null,
        numberType: v.numberType || null,
        priority: Number(v.priority || 0),
      });
      form.reset();
      await reload();
    });
  };
  const removeRoute = (r) =>
    window.confirm(`Remove route ${r.id} (${criteria(r)})?`) &&
    act(async () => {
      await del(`/tidings/routes/${r.id}`);
      await reload();
    });
  const list = carriers.data?.value || [];
  const kinds = carriers.data?.kinds || ["simulator"];
  return html`<section>
    <${ErrorBox} error=${carriers.error || routes.error} />
    <${ErrorBox} error=${error} />
    <h2>Carriers</h2>
    ${carriers.data && !list.length && html`<${Empty}>No carriers.<//>`}
    ${list.length > 0 &&
    html`<div class="table-wrap"><table class="stack" aria-label="Carriers">
      <thead><tr><th>Name</th><th>Kind</th><th>State</th><th>Options</th><th>Binds</th><th>Routes</th><th></th></tr></thead>
      <tbody>
        ${list.map(
          (c) => html`<tr data-carrier=${c.name}>
            <td>${c.name}<div class="muted">version ${c.version}</div></td>
            <td>${c.kind}</td>
            <td><${Badge} value=${c.enabled ? "enabled" : "disabled"} /></td>
            <td>${options(c.options)}</td>
            <td><${Binds} binds=${c.binds} /></td>
            <td>${c.routes.join(", ") || "—"}</td>
            <td>
              <button class="small" disabled=${busy} onClick=${() => toggle(c)}>${c.enabled ? "Disable" : "Enable"}</button>
              ${c.name !== "simulator" &&
              html` <button class="danger small" disabled=${busy} onClick=${() => removeCarrier(c)}>Remove</button>`}
            </td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
    <form class="card form" onSubmit=${addCarrier} aria-label="Add a carrier">
      <h2>Add a carrier</h2>
      <div class="row">
        <label>Name <input name="name" placeholder="acme" required /></label>
        <label
          >Kind
          <select name="kind">
            ${kinds.map((k) => html`<option value=${k}>${k}</option>`)}
          </select></label
        >
      </div>
      <label
        >Options (JSON)
        <textarea name="options" rows="3" placeholder='{"host": "smsc.example.net", "port": 2775, "system_id": "ACME1", "password": "…"}'></textarea>
      </label>
      <div class="row end"><button type="submit" disabled=${busy}>Add carrier</button></div>
    </form>
    <h2>Routes</h2>
    <p class="muted">The first route that matches a message is its route (sender, then number type, then the longest prefix).</p>
    ${routes.data?.value?.length > 0 &&
    html`<div class="table-wrap"><table class="stack" aria-label="Routes">
      <thead><tr><th>#</th><th>Matches</th><th>Carriers</th><th>Strategy</th><th>Since</th><th></th></tr></thead>
      <tbody>
        ${routes.data.value.map(
          (r) => html`<tr data-route=${r.id}>
            <td>${r.id}</td>
            <td>${criteria(r)}</td>
            <td>${r.carriers.join(" → ")}</td>
            <td>${r.strategy}</td>
            <td>${fmtTime(r.createdAt)}</td>
            <td><button class="danger small" disabled=${busy} onClick=${() => removeRoute(r)}>Remove</button></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`}
    ${routes.data && !routes.data.value.length &&
    html`<${Empty}>No routes: every message waits for one, then fails.<//>`}
    <form class="card form" onSubmit=${addRoute} aria-label="Add a route">
      <h2>Add a route</h2>
      <div class="row">
        <label>Destination prefix <input name="prefix" placeholder="+39" /></label>
        <label>Sender <input name="sender" placeholder="+18005550100" /></label>
        <label
          >Sender type
          <select name="numberType">
            ${NUMBER_TYPES.map((t) => html`<option value=${t}>${t || "any"}</option>`)}
          </select></label
        >
      </div>
      <div class="row">
        <label>Carriers <input name="carriers" placeholder="acme, backup" required /></label>
        <label
          >Strategy
          <select name="strategy">
            <option value="failover">failover</option>
            <option value="round-robin">round-robin</option>
          </select></label
        >
        <label>Priority <input name="priority" type="number" value="0" /></label>
      </div>
      <div class="row end"><button type="submit" disabled=${busy}>Add route</button></div>
    </form>
  </section>`;
}
