// Keyledger admin pages: live activity feed, confirmations and copy buttons. Pages work without it.
"use strict";

// Entries and cards come from the server as HTML (/ui/feed, /ui/cards): drawn by the same templates as
// the page, so a live entry reads exactly like the entries the server drew.
async function fetchHtml(url) {
  const response = await fetch(url, {headers: {Accept: "text/html"}, credentials: "same-origin"});
  if (!response.ok) throw new Error(String(response.status));
  return document.createRange().createContextualFragment(await response.text());
}

function placeEntry(feed, item) {
  const position = Number(item.dataset.position);
  const after = [...feed.children].find((li) => Number(li.dataset.position || 0) < position);
  feed.insertBefore(item, after || null);
}

let cardsTimer = null;

function refreshCards() {
  const cards = document.getElementById("cards");
  if (!cards || cardsTimer) return;
  cardsTimer = window.setTimeout(async () => {
    cardsTimer = null;
    try { cards.replaceChildren(await fetchHtml(cards.dataset.refresh)); } catch { /* keep the old cards */ }
  }, 1000);
}

function startFeed(feed) {
  const source = new EventSource(feed.dataset.stream);
  source.addEventListener("activity", async (message) => {
    const entry = JSON.parse(message.data);
    try {
      const html = await fetchHtml(`${feed.dataset.entry}?position=${encodeURIComponent(entry.position)}`);
      const item = html.querySelector("li");
      if (!item || feed.querySelector(`li[data-position="${entry.position}"]`)) return;
      item.classList.add("fresh");
      feed.querySelector(".empty")?.remove();
      placeEntry(feed, item);
      while (feed.children.length > 50) feed.lastElementChild.remove();
    } catch { return; }
    refreshCards();
  });
  window.addEventListener("pagehide", () => source.close());
}

// The reader's time zone, sent once: the server shows times in it (and UTC on hover).
function rememberTimeZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || !/^[A-Za-z0-9_+/-]{1,64}$/.test(zone)) return;
  if (document.cookie.split("; ").includes(`keyledger_tz=${zone}`)) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `keyledger_tz=${zone}; Path=/ui; Max-Age=31536000; SameSite=Lax${secure}`;
}

function confirmBeforeSubmit(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (form.querySelector("input[name=confirmed]")) return;
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  const confirmed = document.createElement("input");
  confirmed.type = "hidden";
  confirmed.name = "confirmed";
  confirmed.value = "yes";
  form.append(confirmed);
}

function copyOnClick(event) {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  navigator.clipboard.writeText(button.dataset.copy).then(() => {
    button.textContent = button.dataset.copied || "✓";
  });
}

document.addEventListener("submit", confirmBeforeSubmit);
document.addEventListener("click", copyOnClick);
rememberTimeZone();
document.addEventListener("DOMContentLoaded", () => {
  const feed = document.getElementById("feed");
  if (feed && window.EventSource) startFeed(feed);
  document.querySelectorAll("button[data-copy]").forEach((button) => { button.hidden = false; });
});
