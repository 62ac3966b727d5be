import { Presets, SingleBar } from "cli-progress";

/** Progress of something counted (a batch's messages, an import's rows), as the terminal allows. */
interface Progress {
  /**
   * `detail`: beside the bar, which shows the numbers; `line`: the whole state,
   * for a plain output. `total`: ignored by a counter (see progressDisplay).
   */
  update(done: number, total: number, detail: string, line: string): void;
  /** The last state stays on screen. */
  stop(): void;
}

/** How often at most a plain (not a terminal) output gets a line. */
const PLAIN_LINE_MS = 1_000;

/**
 * On a terminal, a progress bar redrawn in place (cli-progress); elsewhere (a log,
 * a pipe), a plain line at most once a second, and the last state when it stops.
 * `counter`: for a count whose total is unknown until the end (an import's rows),
 * the count redrawn in place without a bar or a percentage.
 */
export function progressDisplay(
  stream: NodeJS.WriteStream = process.stdout,
  options: { counter?: boolean } = {},
): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format: options.counter ? "{value} {detail}" : "{bar} {percentage}% {value}/{total} {detail}",
        barsize: 30,
        hideCursor: true,
        // Redrawn when the counts change; a stream of counts needs no timer of its own.
        noTTYOutput: false,
        fps: 10,
      },
      Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, detail) {
        if (!started) {
          bar.start(total, done, { detail });
          started = true;
          return;
        }
        bar.setTotal(total);
        bar.update(done, { detail });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastAt = 0;
  let written = "";
  let latest = "";
  const write = (line: string) => {
    stream.write(`${line}\n`);
    written = line;
    lastAt = Date.now();
  };
  return {
    update(_done, _total, _detail, line) {
      latest = line;
      if (Date.now() - lastAt >= PLAIN_LINE_MS) write(latest);
    },
    stop() {
      if (latest && latest !== written) write(latest);
    },
  };
}
