/**
 * Removing expired rows (pending states, connect links, abandoned leases) without making any request
 * pay for it more than once a minute: writes of short-lived records ask the gate, and at most one
 * sweep runs per minute per storage (the service opens one storage per process). Each sweep removes
 * at most SWEEP_LIMIT rows per table, so a backlog (the service was down for a day) is worked off
 * over several minutes rather than in one slow request. The same rule as the Rocket.Chat app's
 * src/rocketchat/expiring-records.ts.
 *
 * Expired rows are invisible before they are swept (every read checks the expiry), except a pending
 * state's, which `take` still answers until then so the user reads "expired" rather than "unknown".
 */
import type { Clock } from '../../core/ports';
import type { StorageLogger } from './records';

export const SWEEP_INTERVAL_MS = 60_000;
/** Rows removed per table by one sweep at most. */
export const SWEEP_LIMIT = 500;

export class SweepGate {
  private lastSweep = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;

  constructor(
    private readonly sweep: (now: number) => Promise<void>,
    private readonly clock: Clock,
    private readonly logger?: StorageLogger,
  ) {}

  /**
   * Sweeps when the last sweep is a minute old. A sweep that fails is logged, not thrown: the write
   * that asked succeeded, and the next minute tries again.
   */
  async sweepIfDue(): Promise<void> {
    const now = this.clock.now();
    if (this.running || now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    this.running = this.sweep(now)
      .catch((error: unknown) => this.logger?.warn(`Expired rows could not be removed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }
}
