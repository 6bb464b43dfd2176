// The queue page kept current without reloading: polls the JSON status of
// the resident's place every few seconds (a GET, which changes nothing),
// updates the polite live region with the position and estimated wait,
// and when the turn comes ("ready") joins again by a POST, which starts the
// admission and sets its cookie, then shows the way into booking and stops.
// Without JavaScript the page reloads itself (a refresh inside <noscript>)
// and shows the form that starts the turn; nothing here is needed to book.

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
  const startForm = root.querySelector("[data-queue-start]");
  const csrf = document.querySelector("meta[name=csrf-token]")?.content ?? "";
  let failures = 0;
  let starting = false;

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
    if (body.state === "ready") {
      // The turn has come: starting it is a POST (the same join, which keeps
      // the place), tried once; should that not start it, the form can.
      if (starting) {
        startForm.hidden = false;
        return;
      }
      starting = true;
      poll("POST");
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

  async function poll(method = "GET") {
    let body;
    try {
      const headers = { accept: "application/json" };
      if (method === "POST") headers["x-csrf-token"] = csrf;
      const response = await fetch(root.dataset.status, { method, headers, credentials: "same-origin" });
      if (!response.ok) throw new Error(`status ${response.status}`);
      body = await response.json();
    } catch {
      // A lost answer is not a lost place: try again, more slowly each time.
      failures += 1;
      if (method === "POST") {
        // The script could not start the turn: the form can.
        startForm.hidden = false;
        return;
      }
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
