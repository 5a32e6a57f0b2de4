import { useState } from "preact/hooks";
import { get, post } from "../api.js";
import { CopyButton, ErrorBox, html, useAction, useLoad } from "../ui.js";

function KeyRow({ name, value, endpoints, onRegenerate, busy }) {
  const [shown, setShown] = useState(false);
  // from_connection_string always uses HTTPS: show the HTTPS endpoint whatever this page
  // was opened over, and the plain HTTP endpoint for the SDK constructors.
  const connection = endpoints.https ? `endpoint=${endpoints.https};accesskey=${value}` : null;
  const title = name[0].toUpperCase() + name.slice(1);
  return html`<div class="card key">
    <h2>${title} key</h2>
    <code class="secret">${shown ? value : "•".repeat(24)}</code>
    <div class="row">
      <button type="button" class="secondary" aria-expanded=${shown} onClick=${() => setShown(!shown)}>${shown ? "Hide" : "Show"}</button>
      <${CopyButton} value=${value} label="Copy key" />
      <button type="button" class="danger" disabled=${busy} onClick=${() => onRegenerate(name)}>Regenerate</button>
    </div>
    ${shown &&
    html`<dl class="facts endpoints">
      ${connection &&
      html`<dt>Connection string (HTTPS)</dt>
        <dd>
          <code class="secret">${connection}</code>
          <${CopyButton} value=${connection} label="Copy connection string" />
          <p class="hint">For <code>SmsClient.from_connection_string(...)</code>; trust the development CA (see the server's banner).</p>
        </dd>`}
      ${endpoints.http &&
      html`<dt>HTTP endpoint</dt>
        <dd>
          <code class="secret">${endpoints.http}</code>
          <p class="hint">For <code>SmsClient("${endpoints.http}", AzureKeyCredential(key))</code> and <code>TidingsClient</code>.</p>
        </dd>`}
    </dl>`}
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
      (name) => html`<${KeyRow}
        name=${name}
        value=${keys.data[name]}
        endpoints=${keys.data.endpoints || {}}
        busy=${busy}
        onRegenerate=${regenerate}
      />`,
    )}
  </section>`;
}
