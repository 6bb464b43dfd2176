// Lionrock's progressive enhancements; every page works without this file.
// A form shown again with errors: move focus to the summary so screen
// readers announce it and keyboard users start from it.
const summary = document.getElementById("error-summary");
if (summary) {
  summary.focus();
}
