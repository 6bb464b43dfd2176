// Reading QR codes in the browser, for every page that offers it (the
// credentials scanner, the booking check-in): the camera through
// BarcodeDetector where the browser has it, else camera frames through jsQR
// (platform's qr-decoder.js, which such a page loads before its module when
// the build embedded it), and pictures through jsQR. Nothing is sent
// anywhere. A page imports this module by its relative name and keeps a
// way that works without it (typing or pasting the code). (No quoted
// relative name here: the asset table would read it as an import of itself.)

/** Whether jsQR is loaded (pictures can be read, and frames without BarcodeDetector). */
export function hasDecoder() {
  return typeof globalThis.jsQR === "function";
}

/** Whether this browser may offer a camera at all. */
export function cameraPossible() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** The text of the QR code in a drawable (image, bitmap, video frame), through jsQR; null when none. */
export function decodeImage(source, width, height) {
  if (!hasDecoder()) return null;
  const canvas = document.createElement("canvas");
  const scale = Math.min(1, 1600 / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const code = globalThis.jsQR(pixels.data, pixels.width, pixels.height);
  return code ? code.data : null;
}

/** A function reading the video's current frame (text or null), or null when nothing can. */
async function detector(video) {
  if ("BarcodeDetector" in globalThis) {
    try {
      const formats = await globalThis.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const found = new globalThis.BarcodeDetector({ formats: ["qr_code"] });
        return async () => ((await found.detect(video))[0] || {}).rawValue || null;
      }
    } catch {
      // Fall through to jsQR.
    }
  }
  if (hasDecoder()) return async () => decodeImage(video, video.videoWidth, video.videoHeight);
  return null;
}

/**
 * Shows the back camera in `video` and looks at four frames a second until
 * one holds a QR code: then stops the camera and calls `found(text)` once.
 * Resolves to `{ stop }` (stops looking and the camera); rejects when the
 * browser can read no code or the camera cannot be had (refused, absent).
 */
export async function scan(video, found) {
  const detect = await detector(video);
  if (!detect || !cameraPossible()) throw new Error("unavailable");
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  let timer = 0;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    video.hidden = true;
  };
  video.srcObject = stream;
  video.hidden = false;
  await video.play().catch(() => {});
  const look = async () => {
    if (stopped) return;
    const text = video.readyState >= 2 && video.videoWidth > 0 ? await detect().catch(() => null) : null;
    if (stopped) return;
    if (text) {
      stop();
      found(text);
    } else {
      timer = setTimeout(look, 250);
    }
  };
  // The first look after the caller has its handle (a task, not a microtask).
  timer = setTimeout(look, 0);
  return { stop };
}
