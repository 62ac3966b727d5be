// The real `salvo` command as the tests run it: node on bin/salvo.mjs, what it
// printed kept apart, stopped after 20 s.
import { spawn } from "node:child_process";
import path from "node:path";

const bin = path.join(import.meta.dirname, "../bin/salvo.mjs");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `salvo <args>` with the test's environment plus `env`. */
export function runSalvo(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
