// The queue page kept current without reloading: polls the JSON status of
// the resident's place every few seconds, updates the polite live region
// with the position and estimated wait, and when the turn comes shows the
// way into booking and stops. Without JavaScript the page reloads itself
// (a refresh inside <noscript>); nothing here is needed to book.

const root = document.querySelector("[data-booking-queue]");
if (root) {
  start(root);
}

function start(root) {
  const texts = JSON.parse(document.getElementById("booking-queue-texts").textContent);
  const live = root.querySelector("[data-queue-live]");
  const position = root.querySelector("[data-queue-position]");
  const wait = root.querySelector("[data-queue-wait]");
  const admitted = root.querySelector("[data-queue-admitted]");
  const keepOpen = root.querySelector("[data-queue-keep-open]");
  let failures = 0;

  function waitText(seconds) {
    if (seconds < 60) return texts["wait-soon"];
    const minutes = Math.floor((seconds + 30) / 60);
    if (minutes === 1) return texts["wait-one-minute"];
    return texts["wait-minutes"].replace("{minutes}", String(minutes));
  }

  // Text is replaced only when it changes, so the live region speaks only news.
  function set(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function schedule(ms) {
    setTimeout(poll, ms);
  }

  function show(body) {
    if (body.state === "waiting") {
      set(position, texts.position.replace("{position}", String(body.position)));
      set(wait, waitText(body.wait_seconds));
      // Asks again soon after the estimate if that comes first; never more than every 2 s.
      schedule(Math.min(Math.max(body.wait_seconds * 1000, 2000), 5000));
      return;
    }
    if (body.state === "admitted") {
      // The answer set the admission cookie; the booking link now works.
      set(position, texts["admitted-live"]);
      wait.hidden = true;
      keepOpen.hidden = true;
      admitted.hidden = false;
      root.dataset.queueState = "admitted";
      return;
    }
    // Expired, not queued or no room any more: the server's page says what to do.
    window.location.reload();
  }

  async function poll() {
    let body;
    try {
      const response = await fetch(root.dataset.status, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      body = await response.json();
    } catch {
      // A lost answer is not a lost place: try again, more slowly each time.
      failures += 1;
      schedule(Math.min(5000 * 2 ** failures, 60000));
      return;
    }
    failures = 0;
    show(body);
  }

  root.dataset.queueState = "waiting";
  live.dataset.polling = "on";
  schedule(2000);
}
