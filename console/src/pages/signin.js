import { useState } from "preact/hooks";
import { session } from "../api.js";
import { html } from "../ui.js";

export function SignIn({ notice, onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const key = new FormData(event.currentTarget).get("accessKey");
    setBusy(true);
    setError(null);
    try {
      await session.signIn(key);
      onSignedIn();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="card" onSubmit=${submit}>
      <h1>Tidings console</h1>
      ${notice && !error && html`<p class="notice" role="status">${notice}</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <label
        >Access key
        <input
          name="accessKey"
          type="password"
          autocomplete="current-password"
          placeholder="primary or secondary key, or a connection string"
          required
        />
      </label>
      <p class="hint">Run <code>tidings keys show</code> to print the keys.</p>
      <button type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
    </form>
  </main>`;
}
