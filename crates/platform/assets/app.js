// Lionrock's progressive enhancements; every page works without this file.
// A form shown again with errors: move focus to the summary so screen
// readers announce it and keyboard users start from it.
const summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
}

// "Sign in with the app": a form with data-wait long-polls its status URL
// and submits itself once the request is decided. Without this file the
// resident presses the form's button after approving.
const waiting = document.querySelector("form[data-wait]");
if (waiting) {
  const status = waiting.querySelector("[data-wait-status]");
  if (status) {
    status.textContent = status.dataset.waiting;
  }
  const poll = async () => {
    for (;;) {
      let state = "pending";
      try {
        const response = await fetch(waiting.dataset.wait, { credentials: "same-origin" });
        if (!response.ok) {
          return;
        }
        state = (await response.json()).status;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        continue;
      }
      if (state !== "pending") {
        waiting.submit();
        return;
      }
    }
  };
  poll();
}
