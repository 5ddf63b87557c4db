// Relative import: global setup runs outside the test environments, without their export conditions.
import { ensureBuilt, ensureChromium } from '../scripts/harness';

/** The browser tests drive the built console, as the server serves it, in Debian's Chromium. */
export default function setup() {
  ensureChromium();
  ensureBuilt((line) => process.stderr.write(`${line}\n`));
}
