// Calls to Tidings' JSON APIs through the console session (an HttpOnly cookie). Writes carry
// the X-Tidings-Console header the server requires against cross-site requests.

export const VERSIONS = {
  sms: "2021-03-07",
  optouts: "2024-12-10-preview",
  numbers: "2025-06-01",
  eventGrid: "2022-06-15",
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const listeners = new Set();

/** Called with a message when the session ends (expired, or a key was regenerated). */
export function onSessionLost(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Requests started and still pending: tests and the benchmark wait for the page to settle. */
const network = (window.tidingsNetwork = { started: 0, pending: 0 });

export async function request(method, path, body, opts = {}) {
  network.started += 1;
  network.pending += 1;
  try {
    return await send(method, path, body, opts);
  } finally {
    network.pending -= 1;
  }
}

async function send(method, path, body, { query } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-tidings-console"] = "1";
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "Offline", "Tidings did not answer. Is the server running?");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {};
    const message = error.message || `The request failed (HTTP ${response.status}).`;
    const failure = new ApiError(response.status, error.code || "Error", message);
    const sessionLost =
      response.status === 401 && path !== "/console/session" && error.code !== "InvalidAccessKey";
    const why = error.code === "SessionExpired" ? message : "You are signed out. Sign in again.";
    if (sessionLost) for (const listener of listeners) listener(why);
    throw failure;
  }
  return data;
}

export const get = (path, query) => request("GET", path, undefined, { query });
export const post = (path, body, query) => request("POST", path, body ?? {}, { query });
export const put = (path, body, query) => request("PUT", path, body ?? {}, { query });
export const del = (path, query) => request("DELETE", path, undefined, { query });

export const session = {
  status: () => get("/console/session"),
  signIn: (accessKey) => post("/console/session", { accessKey }),
  signOut: () => del("/console/session"),
};

export async function ourNumbers() {
  const page = await get("/phoneNumbers", { "api-version": VERSIONS.numbers, top: 1000 });
  return page.phoneNumbers || [];
}

export function sendSms({ from, to, message, tag, deliveryReport = true }) {
  const body = {
    from,
    smsRecipients: [{ to }],
    message,
    smsSendOptions: { enableDeliveryReport: deliveryReport, ...(tag ? { tag } : {}) },
  };
  return post("/sms", body, { "api-version": VERSIONS.sms }).then((r) => r.value[0]);
}
