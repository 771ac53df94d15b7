// Scanning a barcode with the device's camera (a phone, a laptop's webcam): a modal dialog shows the camera's
// picture until a code is read, then closes and hands the code back. The browser's own BarcodeDetector is used
// where there is one (Android, ChromeOS, macOS); elsewhere the vendored ZXing decoder (vendor/, plain
// JavaScript, loaded on first use), so nothing comes from a CDN and the CSP stays strict.
//
// addScanButtons() puts a "Scan" button beside every input[data-scan] of a view; a scanned code fills the
// input and is handled as if typed and sent (the form is submitted), like a USB scanner does.

import { el } from "./dom.js";
import { t } from "./i18n.js";

const ZXING = "../vendor/zxing-library-0.23.0/zxing.min.js";
const FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39", "codabar", "itf", "qr_code"];
const TICK_MS = 120;

/** Whether this browser can open a camera here (a secure context: HTTPS, or localhost). */
export function canScan() {
  return Boolean(globalThis.isSecureContext && navigator.mediaDevices?.getUserMedia);
}

let zxingLoad = null;

/** A decode(video) -> text | null function: BarcodeDetector, else ZXing over a canvas. */
async function makeDecoder() {
  if ("BarcodeDetector" in globalThis) {
    const supported = await globalThis.BarcodeDetector.getSupportedFormats().catch(() => []);
    const formats = FORMATS.filter((format) => supported.includes(format));
    if (formats.length) {
      const detector = new globalThis.BarcodeDetector({ formats });
      return async (video) => (await detector.detect(video))[0]?.rawValue ?? null;
    }
  }
  zxingLoad ??= import(ZXING).then(() => globalThis.ZXing);
  const ZXing = await zxingLoad;
  const reader = new ZXing.MultiFormatReader();
  const kinds = ["EAN_13", "EAN_8", "UPC_A", "UPC_E", "CODE_128", "CODE_39", "CODABAR", "ITF", "QR_CODE"];
  reader.setHints(new Map([
    [ZXing.DecodeHintType.POSSIBLE_FORMATS, kinds.map((kind) => ZXing.BarcodeFormat[kind])],
    [ZXing.DecodeHintType.TRY_HARDER, true],
  ]));
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    if (!video.videoWidth) return null;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
    try {
      return reader.decodeWithState(new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source))).getText();
    } catch {
      return null; // nothing readable in this frame
    } finally {
      reader.reset();
    }
  };
}

function cameraProblem(error) {
  if (error?.name === "NotAllowedError") return t("The camera may not be used. Allow it in the browser's settings for this site, or type the code.");
  if (error?.name === "NotFoundError" || error?.name === "OverconstrainedError") return t("No camera was found. Type the code instead.");
  if (error?.name === "NotReadableError") return t("The camera is busy in another app. Close it there, or type the code.");
  return t("The camera could not be started. Type the code instead.");
}

/**
 * Open the scanner. Resolves to the text of the first barcode read, or null when the user cancels.
 * `label` names what is scanned ("ISBN", "Barcode"), for the dialog's title.
 */
export function scan({ label, opener = document.activeElement } = {}) {
  const status = el("p", { className: "scanner-status", role: "status", text: t("Starting the camera…") });
  const video = el("video", { className: "scanner-video", muted: true, playsinline: true, autoplay: true, "aria-hidden": "true" });
  video.muted = true;
  const cancel = el("button", { type: "button", className: "button secondary", text: t("Cancel") });
  const title = el("h2", { id: "scanner-title", text: t("Scan {what}", { what: label }) });
  const dialog = el("dialog", { className: "confirm scanner", "aria-labelledby": "scanner-title" },
    title,
    el("p", { className: "hint", text: t("Hold the barcode in the frame, about a hand's width from the camera.") }),
    el("div", { className: "scanner-frame" }, video, el("span", { className: "scanner-aim", "aria-hidden": "true" })),
    status,
    el("div", { className: "actions" }, cancel));
  document.body.append(dialog);

  let stream = null;
  let timer = null;
  let done = false;
  return new Promise((resolve) => {
    const finish = (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(code);
    };
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(null); }); // Esc
    dialog.showModal();
    cancel.focus();

    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
        });
        if (done) { finish(null); return; }
        video.srcObject = stream;
        await video.play();
        const decode = await makeDecoder();
        status.textContent = t("Looking for a barcode…");
        const tick = async () => {
          if (done) return;
          const code = await decode(video).catch(() => null);
          if (code) finish(code);
          else timer = setTimeout(tick, TICK_MS);
        };
        tick();
      } catch (error) {
        if (!done) status.textContent = cameraProblem(error);
      }
    })();
  });
}

/**
 * A "Scan" button after each input[data-scan] inside root (only where a camera can be used). A code read fills
 * the input, fires its input event, and calls onCode(code, input), or by default submits the input's form.
 */
export function addScanButtons(root, onCode = null) {
  if (!canScan()) return;
  for (const input of root.querySelectorAll("input[data-scan]")) {
    if (input.dataset.scanReady) continue;
    input.dataset.scanReady = "true";
    const what = input.dataset.scan;
    const button = el("button", { type: "button", className: "button secondary scan-button",
      "aria-label": t("Scan the {what} with the camera", { what }) },
    el("span", { className: "scan-icon", "aria-hidden": "true" }), t("Scan"));
    button.addEventListener("click", async () => {
      const code = await scan({ label: what, opener: input });
      if (!code) return;
      input.value = code;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      if (onCode) onCode(code, input);
      else input.form?.requestSubmit();
    });
    input.after(button);
  }
}
