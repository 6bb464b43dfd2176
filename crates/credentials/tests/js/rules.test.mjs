// The validity rules' shared cases (tests/rules-cases.json), which the Rust
// rules run too (rules::tests): the scanner's checkRules must give each
// case's verdict, counting days by the case's time zone.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { assets, here } from "./support.mjs";

const { checkRules, today, StepError } = await import(path.join(assets, "credentials-verify.js"));
const cases = JSON.parse(fs.readFileSync(path.resolve(here, "../rules-cases.json"), "utf8"));
const KINDS = { v: "vaccination", t: "test", r: "recovery", e: "exemption" };

test("the shared rule cases give their verdicts", () => {
  assert.ok(cases.cases.length >= 10);
  const failures = [];
  for (const c of cases.cases) {
    let got = "accepted";
    try {
      checkRules(KINDS[c.group], c.record, cases.rules, new Date(c.now), c.timeZone);
    } catch (e) {
      assert.ok(e instanceof StepError && e.step === "rules", `${c.name}: ${e}`);
      got = e.reason;
    }
    if (got !== c.expected) failures.push(`${c.name}: ${got}, expected ${c.expected}`);
  }
  assert.deepEqual(failures, []);
});

test("today is the calendar date of the installation's time zone, not the device's", () => {
  const at = new Date("2026-11-30T20:00:00Z");
  const day = (text) => Date.parse(`${text}T00:00:00Z`) / 86_400_000;
  assert.equal(today(at, "Asia/Hong_Kong"), day("2026-12-01"));
  assert.equal(today(at, "UTC"), day("2026-11-30"));
  assert.equal(today(new Date("2026-12-01T03:00:00Z"), "America/New_York"), day("2026-11-30"));
  assert.equal(today(at, "Not/A_Zone"), day("2026-11-30"), "an unknown zone reads as UTC, as in Rust");
});
