// Lionrock's progressive enhancements; every page works without this file.
// A form shown again with errors: move focus to the summary so screen
// readers announce it and keyboard users start from it.
const summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
}

// The PWA shell: a service worker that shows the offline page when a page
// cannot load (it keeps no personal pages). Pages work without it.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
