// Live availability: the table follows the server's `availability` events.
// Without JavaScript (or EventSource) the page's refresh link does the same.
const table = document.querySelector("[data-live-events]");
const updated = document.querySelector("[data-live-updated]");

if (table && "EventSource" in window) {
  const source = new EventSource(table.dataset.liveEvents);
  source.addEventListener("availability", (message) => {
    const summary = JSON.parse(message.data);
    for (const centre of summary.centres) {
      centre.free.forEach((free, day) => {
        const cell = table.querySelector(`td[data-centre="${CSS.escape(centre.id)}"][data-day="${day}"]`);
        if (cell && cell.textContent !== String(free)) {
          cell.textContent = String(free);
          cell.dataset.changed = "";
        }
      });
    }
    if (updated) {
      updated.textContent = `${updated.dataset.text} ${new Date().toLocaleTimeString()}`;
    }
  });
}
