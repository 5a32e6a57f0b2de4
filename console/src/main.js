// The console's shell: sign-in, navigation (hash routes) and the pages.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { onSessionLost, session } from "./api.js";
import { html } from "./ui.js";
import { SignIn } from "./pages/signin.js";
import { Dashboard } from "./pages/dashboard.js";
import { Messages } from "./pages/messages.js";
import { Conversations } from "./pages/conversations.js";
import { Phone } from "./pages/phone.js";
import { Numbers } from "./pages/numbers.js";
import { OptOuts } from "./pages/optouts.js";
import { Keys } from "./pages/keys.js";
import { Subscriptions } from "./pages/subscriptions.js";
import { Chat } from "./pages/chat.js";
import { Carriers } from "./pages/carriers.js";
import "./style.css";

const PAGES = [
  ["dashboard", "Dashboard", Dashboard],
  ["messages", "Messages", Messages],
  ["conversations", "Conversations", Conversations],
  ["phone", "Virtual phone", Phone],
  ["numbers", "Phone numbers", Numbers],
  ["optouts", "Opt-outs", OptOuts],
  ["subscriptions", "Event subscriptions", Subscriptions],
  ["chat", "Chat", Chat],
  ["carriers", "Carriers", Carriers],
  ["keys", "Access keys", Keys],
];

function parseHash() {
  const [page, ...rest] = window.location.hash.replace(/^#\/?/, "").split("/");
  return { page: page || "dashboard", arg: rest.map(decodeURIComponent).join("/") || null };
}

function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const update = () => setRoute(parseHash());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

function App() {
  const [state, setState] = useState({ checked: false, signedIn: false, notice: null });
  const [menuOpen, setMenuOpen] = useState(false);
  const route = useRoute();

  useEffect(() => {
    session
      .status()
      .then((s) =>
        setState({
          checked: true,
          signedIn: s.signedIn,
          notice: s.reason === "expired" ? "Your session has expired. Sign in again." : null,
        }),
      )
      .catch((e) => setState({ checked: true, signedIn: false, notice: e.message }));
    // The first request to find the session gone tells why; later ones (the cookie is cleared
    // by then) would only say that credentials are missing.
    return onSessionLost((message) =>
      setState((s) => (s.signedIn ? { checked: true, signedIn: false, notice: message } : s)),
    );
  }, []);

  useEffect(() => setMenuOpen(false), [route.page, route.arg]);

  if (!state.checked) return html`<p class="loading">Loading…</p>`;
  if (!state.signedIn) {
    return html`<${SignIn}
      notice=${state.notice}
      onSignedIn=${() => setState({ checked: true, signedIn: true, notice: null })}
    />`;
  }
  const found = PAGES.find(([id]) => id === route.page) || PAGES[0];
  const Page = found[2];
  const signOut = async () => {
    await session.signOut().catch(() => {});
    setState({ checked: true, signedIn: false, notice: "You have signed out." });
  };
  return html`<div class="shell">
    <header class="topbar">
      <button
        class="menu-toggle"
        aria-label="Menu"
        aria-expanded=${menuOpen}
        onClick=${() => setMenuOpen(!menuOpen)}
      >
        ☰
      </button>
      <a class="brand" href="#/dashboard">Tidings</a>
      <span class="page-title">${found[1]}</span>
      <button class="link" onClick=${signOut}>Sign out</button>
    </header>
    <nav class=${menuOpen ? "sidebar open" : "sidebar"} aria-label="Pages">
      ${PAGES.map(
        ([id, label]) =>
          html`<a href=${`#/${id}`} class=${id === found[0] ? "active" : ""}>${label}</a>`,
      )}
    </nav>
    <main class="content" id="page-${found[0]}">
      <${Page} key=${found[0]} arg=${route.arg} />
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById("app"));
