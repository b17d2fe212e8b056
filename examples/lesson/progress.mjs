/** @file Progress bars for the demo (cli-progress on stderr). On a terminal they redraw in place; elsewhere
 * (CI, a test, a pipe) they print nothing, so logs stay clean. */
import cliProgress from "cli-progress";

/** Starts a bar named `label` over `total` steps; returns `{ tick(k = 1), done() }`. */
export function progress(label, total) {
  if (!process.stderr.isTTY) return { tick() {}, done() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(34)} {bar} {percentage}% | {value}/{total} | {duration_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick(k = 1) {
      bar.increment(k);
    },
    done() {
      bar.update(total);
      bar.stop();
    },
  };
}

/** A progress bar that does nothing (the figure modules' default when no bar is given). */
export const noProgress = () => ({ tick() {}, done() {} });
