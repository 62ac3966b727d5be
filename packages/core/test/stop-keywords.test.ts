import { describe, expect, it } from "vitest";
import { isStopKeyword } from "../src/stop-keywords";

describe("isStopKeyword", () => {
  it.each([
    "STOP",
    "stop",
    "Stop",
    "STOP SMS",
    "stop sms",
    "Stop  SMS",
    "ARRET",
    "ARRÊT",
    "arrêt",
    "Arret",
    "UNSUBSCRIBE",
    "end",
    "Quit",
    "STOPALL",
    "cancel",
    "OptOut",
    "revoke",
    "  STOP  ",
    "STOP.",
    "stop!",
    "« arrêt »",
    "\tSTOP\n",
    "...Stop...",
    "ＳＴＯＰ", // full-width letters, as some handsets send them
  ])("%j asks to stop", (text) => {
    expect(isStopKeyword(text)).toBe(true);
  });

  it.each([
    "",
    "   ",
    "STOPP",
    "S T O P",
    "don't stop",
    "stop it please",
    "STOP SMS NOW",
    "STOPSMS",
    "OPT OUT",
    "hello",
    "STOP".repeat(20),
    "merci",
    "ending",
  ])("%j does not", (text) => {
    expect(isStopKeyword(text)).toBe(false);
  });
});
