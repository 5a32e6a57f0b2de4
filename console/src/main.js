// The console's shell: sign-in, navigation (hash routes) and the pages.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { onSessionLost, session } from "./api.js";
import { html, labelStackedTables } from "./ui.js";
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
  const raw = window.location.hash;
  const [page, ...rest] = raw.replace(/^#\/?/, "").split("?")[0].split("/");
  return { raw, page: page || "dashboard", arg: rest.map(decodeURIComponent).join("/") || null };
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
  useEffect(() => {
    if (!state.signedIn) return undefined;
    const main = document.getElementById("content");
    if (!main) return undefined;
    labelStackedTables(main);
    const observer = new MutationObserver(() => labelStackedTables(main));
    observer.observe(main, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [state.signedIn]);
  const found = PAGES.find(([id]) => id === route.page) || PAGES[0];
  useEffect(() => {
    // A page showing one item (a message, a subscription) names it itself (useTitle).
    if (!state.signedIn) document.title = "Sign in · Tidings";
    else if (!route.arg) document.title = `${found[1]} · Tidings`;
  }, [state.signedIn, found, route.arg]);

  if (!state.checked) return html`<p class="loading">Loading…</p>`;
  if (!state.signedIn) {
    return html`<${SignIn}
      notice=${state.notice}
      onSignedIn=${() => setState({ checked: true, signedIn: true, notice: null })}
    />`;
  }
  const Page = found[2];
  const signOut = async () => {
    await session.signOut().catch(() => {});
    setState({ checked: true, signedIn: false, notice: "You have signed out." });
  };
  const skip = (event) => {
    event.preventDefault(); // a plain #content link would be taken for a route
    document.getElementById("content").focus();
  };
  return html`<div class="shell">
    <a class="skip-link" href="#content" onClick=${skip}>Skip to content</a>
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
      <h1 class="page-title">${found[1]}</h1>
      <button class="link" onClick=${signOut}>Sign out</button>
    </header>
    <nav class=${menuOpen ? "sidebar open" : "sidebar"} aria-label="Pages">
      ${PAGES.map(
        ([id, label]) =>
          html`<a
            href=${`#/${id}`}
            class=${id === found[0] ? "active" : ""}
            aria-current=${id === found[0] ? "page" : undefined}
            >${label}</a
          >`,
      )}
    </nav>
    <main class="content" id="content" tabindex="-1" data-page=${found[0]}>
      <${Page} key=${found[0]} arg=${route.arg} />
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById("app"));
