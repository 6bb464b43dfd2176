// The centre's check-in page: the camera reads the booking's QR code (its
// reference) and looks it up through the page's own form, as if typed.
// Without JavaScript, or without a camera, the officer types the reference;
// this file only adds the camera (platform's qr-camera.js reads the code).

import { cameraPossible, scan } from "./qr-camera.js";

const root = document.querySelector("[data-check-in-scanner]");
if (root && cameraPossible()) {
  start(root);
}

/** A booking reference as a QR code holds it: letters and digits, dashes or spaces between. */
const REFERENCE = /^[0-9A-Za-z][0-9A-Za-z -]{8,18}[0-9A-Za-z]$/;

function start(root) {
  const form = document.querySelector("[data-look-up]");
  const input = form && form.querySelector("input[name=reference]");
  if (!input) return;
  const startButton = root.querySelector("[data-camera-start]");
  const stopButton = root.querySelector("[data-camera-stop]");
  const video = root.querySelector("[data-camera-video]");
  const status = root.querySelector("[data-camera-status]");
  let scanning = null;
  const idle = (text) => {
    scanning = null;
    stopButton.hidden = true;
    startButton.hidden = false;
    status.textContent = text;
  };
  const stopCamera = () => {
    if (scanning) scanning.stop();
    idle("");
  };
  const found = (text) => {
    const reference = text.trim();
    if (!REFERENCE.test(reference)) {
      idle(status.dataset.notReference);
      return;
    }
    idle(status.dataset.found);
    input.value = reference;
    form.requestSubmit();
  };
  startButton.addEventListener("click", async () => {
    try {
      scanning = await scan(video, found);
    } catch {
      idle(status.dataset.unavailable);
      return;
    }
    startButton.hidden = true;
    stopButton.hidden = false;
    status.textContent = status.dataset.looking;
  });
  stopButton.addEventListener("click", stopCamera);
  root.hidden = false;
  root.dataset.ready = "true";
}
