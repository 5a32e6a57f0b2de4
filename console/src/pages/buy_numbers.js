// Buying numbers on the phone numbers page: browse the inventory, hold numbers in a
// reservation (15 minutes after the last change, at most 2 hours), purchase it.
import { useState } from "preact/hooks";
import { del, get, post, request, VERSIONS } from "../api.js";
import { Badge, Empty, ErrorBox, fmtTime, formValues, html, useAction, useLoad } from "../ui.js";

const V = { "api-version": VERSIONS.numbers };
const BASE = "/availablePhoneNumbers";

const countries = () => get(`${BASE}/countries`, V).then((r) => r.countries);
const offerings = (country) =>
  get(`${BASE}/countries/${country}/offerings`, V).then((r) => r.phoneNumberOfferings);
const patch = (id, phoneNumbers) =>
  request("PATCH", `${BASE}/reservations/${id}`, { phoneNumbers }, { query: V });
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function cost(c) {
  return `${c.amount.toFixed(2)} ${c.currencyCode}/${c.billingFrequency === "monthly" ? "mo" : c.billingFrequency}`;
}

function asSent(n) {
  const { countryCode, capabilities, phoneNumberType, assignmentType } = n;
  return { countryCode, capabilities, phoneNumberType, assignmentType };
}

export function BuyNumbers({ onBought }) {
  const list = useLoad(countries, []);
  const [country, setCountry] = useState("US");
  const offers = useLoad(() => offerings(country), [country]);
  const [found, setFound] = useState(null);
  const [chosen, setChosen] = useState(() => new Set());
  const [reservation, setReservation] = useState(null);
  const { busy, error, act } = useAction();

  const browse = (event) => {
    const v = formValues(event);
    const [phoneNumberType, assignmentType] = v.offering.split("|");
    const prefixes = v.prefix
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    act(async () => {
      const body = { phoneNumberType, assignmentType };
      if (prefixes.length) body.phoneNumberPrefixes = prefixes;
      const result = await post(`${BASE}/countries/${country}/:browse`, body, V);
      setFound(result.phoneNumbers);
      setChosen(new Set());
    });
  };
  const toggle = (id) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };
  const reserve = () =>
    act(async () => {
      const id = reservation ? reservation.id : crypto.randomUUID();
      const adding = Object.fromEntries(
        found.filter((n) => chosen.has(n.id)).map((n) => [n.id, asSent(n)]),
      );
      setReservation(await patch(id, adding));
      setFound(found.filter((n) => !chosen.has(n.id)));
      setChosen(new Set());
    });
  const remove = (id) => act(async () => setReservation(await patch(reservation.id, { [id]: null })));
  const cancel = () =>
    act(async () => {
      await del(`${BASE}/reservations/${reservation.id}`, V);
      setReservation(null);
    });
  const purchase = (event) => {
    const v = formValues(event);
    act(async () => {
      const path = `${BASE}/reservations/${reservation.id}`;
      await post(`${path}/:purchase`, { agreeToNotResell: v.agree === "on" }, V);
      let current = reservation;
      for (let i = 0; i < 150; i += 1) {
        current = await get(path, V);
        if (current.status !== "submitted") break;
        await pause(200);
      }
      setReservation(current.status === "completed" ? null : current);
      if (current.status !== "completed") throw new Error("The purchase did not complete.");
      onBought();
    });
  };

  const held = reservation ? Object.values(reservation.phoneNumbers || {}) : [];
  const needsAgreement = held.some((n) => n.isAgreementToNotResellRequired && n.status === "reserved");
  return html`<div class="card form buy-numbers">
    <h2>Buy numbers</h2>
    <${ErrorBox} error=${list.error || offers.error} />
    <form onSubmit=${browse} aria-label="Browse numbers">
      <div class="row">
        <label
          >Country
          <select name="country" value=${country} onChange=${(e) => setCountry(e.currentTarget.value)}>
            ${(list.data || []).map(
              (c) => html`<option value=${c.countryCode}>${c.localizedName} (${c.countryCode})</option>`,
            )}
          </select></label
        >
        <label
          >Offering
          <select name="offering" key=${country} disabled=${offers.loading}>
            ${(offers.data || []).map(
              (o) =>
                html`<option value=${`${o.phoneNumberType}|${o.assignmentType}`}>
                  ${o.phoneNumberType}, ${o.assignmentType}, ${cost(o.cost)}
                </option>`,
            )}
          </select></label
        >
        <label>Prefixes <input name="prefix" placeholder="1425, 1206" /></label>
      </div>
      <div class="row end"><button type="submit" disabled=${busy || offers.loading || !offers.data?.length}>Browse</button></div>
    </form>
    ${found && !found.length && html`<${Empty}>No numbers available; try other prefixes.<//>`}
    ${found?.length > 0 &&
    html`<div class="table-wrap"><table class="stack" aria-label="Available numbers">
        <thead><tr><th></th><th>Number</th><th>Type</th><th>SMS</th><th>Cost</th></tr></thead>
        <tbody>
          ${found.map(
            (n) => html`<tr>
              <td>
                <input
                  type="checkbox"
                  aria-label=${`Choose ${n.phoneNumber}`}
                  checked=${chosen.has(n.id)}
                  onChange=${() => toggle(n.id)}
                />
              </td>
              <td>${n.phoneNumber}</td>
              <td>${n.phoneNumberType}</td>
              <td>${n.capabilities.sms}</td>
              <td>${cost(n.cost)}</td>
            </tr>`,
          )}
        </tbody>
      </table></div>
      <div class="row end">
        <button type="button" onClick=${reserve} disabled=${busy || !chosen.size}>Reserve selected</button>
      </div>`}
    ${reservation &&
    html`<section aria-label="Reservation">
      <h3>Reservation <${Badge} value=${reservation.status} /></h3>
      <p>Held until ${fmtTime(reservation.expiresAt)} (each change holds them 15 more minutes).</p>
      ${!held.length && html`<${Empty}>The reservation holds no numbers.<//>`}
      <ul class="reserved">
        ${held.map(
          (n) => html`<li>
            ${n.phoneNumber} <${Badge} value=${n.status} />
            ${n.error && html` <span class="error">${n.error.message}</span>`}
            ${n.status === "reserved" &&
            html` <button class="small" type="button" onClick=${() => remove(n.id)}>Remove</button>`}
          </li>`,
        )}
      </ul>
      <form onSubmit=${purchase} aria-label="Purchase the reservation">
        ${needsAgreement &&
        html`<label class="check"><input type="checkbox" name="agree" /> I agree not to resell these
            numbers (required in this country)</label>`}
        <div class="row end">
          <button type="button" class="danger" onClick=${cancel} disabled=${busy}>Cancel reservation</button>
          <button type="submit" disabled=${busy || !held.length}>Purchase</button>
        </div>
      </form>
    </section>`}
    <${ErrorBox} error=${error} />
  </div>`;
}
