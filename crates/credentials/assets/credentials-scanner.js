// The scanner page: keeps the signed trust bundle on this device (its root
// certificate pinned on first use, and moved to the server's new root when
// a root it pinned signed the bundle naming it), ignores a bundle older
// than the one it keeps, says how old it is, and checks codes
// from the camera (BarcodeDetector, else camera frames through jsQR), an
// uploaded picture (through jsQR) or pasted text, all in the page (platform's
// qr-camera.js reads the codes). Nothing is sent anywhere: the only request
// is the bundle's download.

import { StepError, age, prepareTrust, verify, verifyBundle } from "./credentials-verify.js";
import { cameraPossible, decodeImage, hasDecoder, scan } from "./qr-camera.js";

const KEPT = "lionrock.credentials.bundle";
const PIN = "lionrock.credentials.csca";

const root = document.querySelector("[data-credentials-scanner]");
if (root) {
  start(root);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

async function start(root) {
  root.hidden = false;
  const texts = JSON.parse(document.getElementById("credentials-scanner-texts").textContent);
  const t = (key, args = {}) => (texts[key] || key).replace(/\{(hours|limit)\}/g, (_, k) => String(args[k] ?? ""));
  const lists = root.querySelector("[data-lists-status]");
  const warning = root.querySelector("[data-lists-warning]");
  const result = root.querySelector("[data-result]");
  const store = storage();
  let trust = null;
  let offline = false;

  const warn = (text) => {
    warning.textContent = text;
    warning.hidden = !text;
  };
  const showLists = () => {
    if (!trust) {
      lists.textContent = t("lists-none");
      root.dataset.lists = "none";
      return;
    }
    const { hours, stale } = age(trust, new Date());
    const said = hours < 1 ? t("lists-fresh") : hours === 1 ? t("lists-age-one") : t("lists-age", { hours });
    lists.textContent = offline ? `${said} ${t("lists-kept")}` : said;
    root.dataset.lists = stale ? "stale" : "ready";
    root.dataset.listsHours = String(hours);
    if (stale) warn(t("lists-stale", { limit: trust.staleAfterHours }));
  };

  // The lists kept here, checked again against the pinned root.
  const pin = store && store.getItem(PIN);
  let keptIssuedAt = 0;
  try {
    const kept = store && JSON.parse(store.getItem(KEPT) || "null");
    if (kept && pin) {
      const { payload } = await verifyBundle(kept, pin);
      trust = prepareTrust(payload);
      keptIssuedAt = trust.issuedAt.getTime();
    }
  } catch {
    trust = null;
  }

  // Fresh lists when online; refused unless a pinned root signed them, and
  // ignored when older than the kept ones. The pin follows the active root.
  try {
    const response = await fetch(root.dataset.bundle, { cache: "no-cache", credentials: "omit", headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bundle = await response.json();
    try {
      const { payload, cscaFingerprint } = await verifyBundle(bundle, pin);
      const fresh = prepareTrust(payload);
      if (fresh.issuedAt.getTime() >= keptIssuedAt) {
        trust = fresh;
        if (store) {
          store.setItem(PIN, cscaFingerprint);
          store.setItem(KEPT, JSON.stringify(bundle));
        }
      }
    } catch (e) {
      warn(t(`bundle-${e instanceof StepError && e.reason ? e.reason : "malformed"}`));
    }
  } catch {
    offline = true;
  }
  showLists();
  setInterval(showLists, 60_000);

  const show = (verdict, build) => {
    const box = el("div", `credentials-verdict credentials-${verdict}`);
    box.append(el("p", "credentials-verdict-word", t(verdict)));
    build(box);
    if (trust && age(trust, new Date()).stale) {
      box.append(el("p", "credentials-note", t("checked-stale", { limit: trust.staleAfterHours })));
    }
    result.replaceChildren(box);
    result.dataset.verdict = verdict;
  };
  const message = (text) => {
    result.replaceChildren(el("p", "credentials-message", text));
    result.dataset.verdict = "";
  };
  const reason = (e) => {
    if (!(e instanceof StepError)) return t("reason-cbor");
    if (e.step === "rules") return texts[`rule-${e.reason}`] ? t(`rule-${e.reason}`) : t("rule-other");
    if (e.step === "certificate") return t("reason-unknown-kid");
    return texts[`reason-${e.step}`] ? t(`reason-${e.step}`) : t("reason-cbor");
  };

  const check = async (text) => {
    message(t("checking"));
    if (!trust) {
      show("invalid", (box) => box.append(el("p", "credentials-reason", t("reason-no-lists"))));
      return;
    }
    try {
      const found = await verify(text, trust, new Date());
      show("valid", (box) => {
        box.append(el("p", "credentials-kind", t(`kind-${found.kind}`)));
        const holder = el("dl", "credentials-holder");
        const name = [found.name.fn, found.name.gn].filter(Boolean).join(" ");
        const standard = [found.name.fnt, found.name.gnt].filter(Boolean).join("<<");
        holder.append(el("dt", "", t("name")), el("dd", "credentials-name", name || standard));
        if (standard) holder.append(el("dt", "", t("name-standard")), el("dd", "", standard));
        holder.append(el("dt", "", t("dob")), el("dd", "credentials-dob", found.dob));
        box.append(holder, el("p", "", t("compare")));
      });
    } catch (e) {
      show("invalid", (box) => box.append(el("p", "credentials-reason", reason(e))));
      root.dataset.step = e instanceof StepError ? e.step : "unknown";
    }
  };

  // Pasted text.
  const form = root.querySelector("[data-paste]");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check(form.elements.code.value);
  });

  // A picture, through jsQR (fetched by the build; absent, pictures are not read).
  const image = root.querySelector("[data-image]");
  if (!hasDecoder()) {
    image.disabled = true;
    image.closest("section").append(el("p", "credentials-note", t("image-unavailable")));
  }
  image.addEventListener("change", async () => {
    const file = image.files && image.files[0];
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      const text = decodeImage(bitmap, bitmap.width, bitmap.height);
      bitmap.close();
      if (text) await check(text);
      else message(t("image-no-code"));
    } catch {
      message(t("image-error"));
    } finally {
      image.value = "";
    }
  });

  // The camera: BarcodeDetector where the browser has it, else frames through jsQR.
  const startButton = root.querySelector("[data-camera-start]");
  const stopButton = root.querySelector("[data-camera-stop]");
  const video = root.querySelector("[data-camera-video]");
  const status = root.querySelector("[data-camera-status]");
  let scanning = null;
  const stopCamera = () => {
    if (scanning) scanning.stop();
    scanning = null;
    stopButton.hidden = true;
    startButton.hidden = false;
    status.textContent = "";
  };
  if (!cameraPossible()) {
    startButton.hidden = true;
    status.textContent = t("camera-unavailable");
  }
  startButton.addEventListener("click", async () => {
    try {
      scanning = await scan(video, async (text) => {
        scanning = null;
        stopCamera();
        await check(text);
      });
    } catch {
      status.textContent = t("camera-unavailable");
      return;
    }
    startButton.hidden = true;
    stopButton.hidden = false;
    status.textContent = t("camera-looking");
  });
  stopButton.addEventListener("click", stopCamera);
}
