import { useState } from "preact/hooks";
import { get, post } from "../api.js";
import { ErrorBox, html, useAction, useLoad } from "../ui.js";

function KeyRow({ name, value, onRegenerate, busy }) {
  const [shown, setShown] = useState(false);
  const endpoint = `${window.location.origin}/`;
  return html`<div class="card key">
    <h2>${name[0].toUpperCase() + name.slice(1)} key</h2>
    <code class="secret">${shown ? value : "•".repeat(24)}</code>
    ${shown && html`<p class="hint">Connection string: <code class="secret">endpoint=${endpoint};accesskey=${value}</code></p>`}
    <div class="row">
      <button class="secondary" onClick=${() => setShown(!shown)}>${shown ? "Hide" : "Show"}</button>
      <button class="secondary" onClick=${() => navigator.clipboard?.writeText(value)}>Copy</button>
      <button class="danger" disabled=${busy} onClick=${() => onRegenerate(name)}>Regenerate</button>
    </div>
  </div>`;
}

export function Keys() {
  const keys = useLoad(() => get("/tidings/keys"), []);
  const { busy, error, act } = useAction();
  const regenerate = (name) =>
    window.confirm(`Regenerate the ${name} key? Clients using it stop working at once.`) &&
    act(async () => {
      await post(`/tidings/keys/${name}/regenerate`);
      await keys.reload();
    });
  return html`<section>
    <p class="hint">
      Either key signs API requests (HMAC) and opens console sessions. Regenerating a key ends the
      sessions and clients that use it; rotate one while clients use the other.
    </p>
    <${ErrorBox} error=${keys.error || error} />
    ${keys.data &&
    ["primary", "secondary"].map(
      (name) => html`<${KeyRow} name=${name} value=${keys.data[name]} busy=${busy} onRegenerate=${regenerate} />`,
    )}
  </section>`;
}
