// The error every step of the scanner's check throws: `step` names the
// failing step (prefix, base45, zlib, cbor, cose, algorithm, unknown-kid,
// bad-signature, claims, not-yet-valid, expired, payload, revoked, rules,
// bundle), `reason` refines it (a rule's name), `detail` is for developers.

export class StepError extends Error {
  constructor(step, detail, reason = "") {
    super(`${step}${reason ? ` (${reason})` : ""}: ${detail}`);
    this.name = "StepError";
    this.step = step;
    this.reason = reason;
    this.detail = detail;
  }
}
