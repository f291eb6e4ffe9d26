/**
 * Log lines about refused visits (a forged or replayed callback, a dead link) are what a flood
 * produces: at most LIMIT of them a minute per process reach the app's log, then one line saying how
 * many more were left out. Anything a visitor wrote appears only as a short, escaped excerpt.
 */
const WINDOW_MS = 60_000;
const LIMIT = 20;

export class LogThrottle {
  private windowStart = 0;
  private count = 0;
  private dropped = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Calls `write` if this minute still has room; once the minute is over, the first line also says
   * how many were left out.
   */
  log(write: (suffix: string) => void): void {
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      const dropped = this.dropped;
      this.windowStart = now;
      this.count = 0;
      this.dropped = 0;
      this.count += 1;
      write(dropped ? ` (${dropped} similar lines left out in the previous minute)` : '');
      return;
    }
    if (this.count < LIMIT) {
      this.count += 1;
      write('');
      return;
    }
    this.dropped += 1;
  }
}

/** A visitor's text as it may appear in a log line: 40 characters at most, printable ASCII, escaped. */
export function visitorExcerpt(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(cut.replace(/[^\x20-\x7E]/g, '?'));
}
