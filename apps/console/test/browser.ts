// Debian's Chromium driven by playwright-core, against a console built in dist/.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";

const consoleRoot = path.join(import.meta.dirname, "..");

/** Chromium's path: CHROMIUM_PATH, else Debian's; undefined when there is none. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

/** Builds the console when dist/ has none (scripts/test.sh builds it before the tests). */
export function ensureConsoleBuilt(): void {
  if (existsSync(path.join(consoleRoot, "dist/index.html"))) return;
  execFileSync(process.execPath, [path.join(consoleRoot, "node_modules/vite/bin/vite.js"), "build"], {
    cwd: consoleRoot,
    stdio: "inherit",
  });
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("No Chromium: apt-get install chromium, or set CHROMIUM_PATH");
  // Root (CI, containers) cannot use Chromium's sandbox.
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** `count` French mobile numbers as a CSV file with a header. */
export function numbersCsv(count: number, first = 612_000_000): string {
  const lines = ["number,first_name"];
  for (let i = 0; i < count; i++) lines.push(`+33${first + i},Client ${i}`);
  return `${lines.join("\n")}\n`;
}
