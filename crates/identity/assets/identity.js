// Identity's progressive enhancements: waiting for an app sign-in, passkeys,
// and the phone's QR scanner. Every page works without this file.

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

// Passkeys: a form with data-passkey="create" or "get" asks the server for
// options (data-options), hands them to the browser's passkey dialog, puts
// the answer in the form's hidden "credential" field and submits the form,
// so the server's answer is an ordinary page. Where the browser has no
// passkeys (or this file does not run) the form stays hidden.
const passkeyForms = document.querySelectorAll("form[data-passkey]");
if (passkeyForms.length > 0 && window.PublicKeyCredential && navigator.credentials) {
  const toBase64url = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const fromBase64url = (text) =>
    Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  // JSON has no "undefined": drop the nulls the server sends for absent options.
  const withoutNulls = (value) => {
    if (Array.isArray(value)) {
      return value.map(withoutNulls);
    }
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== null)
          .map(([k, v]) => [k, withoutNulls(v)]),
      );
    }
    return value;
  };
  const decodeIds = (list) => (list || []).map((c) => ({ ...c, id: fromBase64url(c.id) }));
  const answer = (credential) => {
    const r = credential.response;
    const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  };
  for (const note of document.querySelectorAll("[data-passkey-unsupported]")) {
    note.hidden = true;
  }
  for (const form of passkeyForms) {
    form.hidden = false;
    const status = form.querySelector("[data-passkey-status]");
    const csrf = form.querySelector("input[name=_csrf]").value;
    form.addEventListener("submit", async (event) => {
      if (form.elements.credential.value) {
        return;
      }
      event.preventDefault();
      status.textContent = "";
      try {
        const response = await fetch(form.dataset.options, {
          method: "POST",
          credentials: "same-origin",
          headers: { "x-csrf-token": csrf, accept: "application/json" },
        });
        if (!response.ok) {
          throw new Error(`options: ${response.status}`);
        }
        const options = withoutNulls(await response.json()).publicKey;
        options.challenge = fromBase64url(options.challenge);
        let credential;
        if (form.dataset.passkey === "create") {
          options.user.id = fromBase64url(options.user.id);
          options.excludeCredentials = decodeIds(options.excludeCredentials);
          credential = await navigator.credentials.create({ publicKey: options });
        } else {
          options.allowCredentials = decodeIds(options.allowCredentials);
          credential = await navigator.credentials.get({ publicKey: options });
        }
        form.elements.credential.value = answer(credential);
        form.submit();
      } catch (error) {
        status.textContent =
          error && (error.name === "NotAllowedError" || error.name === "AbortError")
            ? status.dataset.cancelled
            : status.dataset.failed;
      }
    });
  }
}

// "Sign in on another device", the phone side: read the QR code with the
// camera where the browser can, and open it only if it is this site's own
// approval link. Elsewhere the page says to use the camera app.
const scanner = document.querySelector("[data-scanner]");
if (scanner && "BarcodeDetector" in window && navigator.mediaDevices) {
  scanner.hidden = false;
  const status = scanner.querySelector("[data-scan-status]");
  const video = scanner.querySelector("[data-scan-video]");
  const approvePath = scanner.dataset.approve;
  scanner.querySelector("[data-scan-start]").addEventListener("click", async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch {
      status.textContent = status.dataset.noCamera;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    status.textContent = status.dataset.looking;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const look = async () => {
      const codes = await detector.detect(video).catch(() => []);
      for (const code of codes) {
        let url;
        try {
          url = new URL(code.rawValue);
        } catch {
          url = null;
        }
        if (url && url.origin === location.origin && url.pathname === approvePath && url.searchParams.has("c")) {
          stream.getTracks().forEach((track) => track.stop());
          location.assign(url.href);
          return;
        }
        status.textContent = status.dataset.foreign;
      }
      setTimeout(look, 250);
    };
    look();
  });
}
