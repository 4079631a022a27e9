// Keyledger admin pages: live activity feed, confirmations and copy buttons. Pages work without it.
"use strict";

function feedEntry(entry, labels, locale) {
  const item = document.createElement("li");
  item.className = "fresh";
  const time = document.createElement("time");
  time.dateTime = entry.at;
  time.textContent = new Intl.DateTimeFormat(locale, {dateStyle: "medium", timeStyle: "medium", timeZone: "UTC"})
    .format(new Date(entry.at)) + " UTC";
  const label = document.createElement("strong");
  label.textContent = labels[entry.event_type] || entry.event_type;
  const detail = document.createElement("span");
  detail.className = "muted";
  detail.textContent = `${entry.aggregate_type} ${entry.aggregate_id.slice(0, 8)} · ${(entry.actor || "—").slice(0, 8)}`;
  item.append(time, " ", label, " ", detail);
  return item;
}

function startFeed(feed) {
  const labels = JSON.parse(feed.dataset.labels || "{}");
  const locale = document.documentElement.lang;
  const source = new EventSource(feed.dataset.stream);
  source.addEventListener("activity", (message) => {
    const entry = JSON.parse(message.data);
    feed.querySelector(".empty")?.remove();
    feed.prepend(feedEntry(entry, labels, locale));
    while (feed.children.length > 50) feed.lastElementChild.remove();
  });
  window.addEventListener("pagehide", () => source.close());
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
document.addEventListener("DOMContentLoaded", () => {
  const feed = document.getElementById("feed");
  if (feed && window.EventSource) startFeed(feed);
  document.querySelectorAll("button[data-copy]").forEach((button) => { button.hidden = false; });
});
