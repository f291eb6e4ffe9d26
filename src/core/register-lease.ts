/**
 * A lease across server instances for storage that offers no compare-and-set: Fischer's timed
 * mutual exclusion (Lamport, "A Fast Mutual Exclusion Algorithm", ACM TOCS 5(1), 1987, §1, which
 * credits Fischer), on one shared register per key whose writes are last-writer-wins.
 *
 *   1. read the register; if someone else holds it (an owner whose lease has not expired), give up;
 *   2. write your own owner id into it;
 *   3. wait `settleMs`; read it again: it is yours only if your id is still the one written.
 *
 * Why it holds: two instances that both saw the register free in step 1 both write in step 2; each
 * then waits longer than any other's step 1→2 gap, so when either reads again every write that
 * raced it has landed, and both read the same last writer: only that one proceeds. An instance that
 * reads after the winner's write sees it held and gives up at step 1. The getter then re-reads the
 * token under the lease (getter.ts), so even a late duplicate finds the fresh token and sends
 * nothing.
 *
 * Where it could not hold: an instance stalled between step 1 and its write for longer than
 * `settleMs` (a long garbage-collection pause, a starved CPU, a store that answers a write only
 * after seconds), or a store whose reads lag its writes (a replica read); and clocks that differ
 * between instances by more than a lease's time to live make an expired lease look live or the
 * reverse. `settleMs` is chosen well above a store write's time (a round trip to the database), and
 * the time to live well above any clock skew a server cluster tolerates. An instance that sees its
 * own read-to-write gap take more than half the settle time (it was the stalled one) gives up, and
 * shortens its claim to a few settle times, so that a stall can only delay a refresh, not double it.
 */
import { randomToken } from './authorize';
import type { Clock, Lease, LeaseHandle } from './ports';

/** What the register holds for a key: who took it, and until when (epoch ms). */
export interface LeaseClaim {
  owner: string;
  until: number;
}

/** One shared value per key, as a database without transactions gives it: each write replaces the value whole. */
export interface LeaseRegister {
  read(key: string): Promise<LeaseClaim | undefined>;
  write(key: string, claim: LeaseClaim): Promise<void>;
}

export interface RegisterLeaseOptions {
  clock: Clock;
  /** How long to wait after writing before reading again: well above one write's time. */
  settleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Writes to a shared store take a few milliseconds; a quarter of a second leaves room for a loaded
 * server (a CI machine running the whole suite stalled an instance past 50 ms). It is paid once per
 * refresh, that is once per token lifetime.
 */
export const DEFAULT_SETTLE_MS = 250;

export class RegisterLease implements Lease {
  constructor(
    private readonly register: LeaseRegister,
    private readonly options: RegisterLeaseOptions,
  ) {}

  async acquire(key: string, ttlMs: number): Promise<LeaseHandle | undefined> {
    const { clock } = this.options;
    const held = await this.register.read(key);
    if (held && held.owner && held.until > clock.now()) return undefined;
    const settleMs = this.options.settleMs ?? DEFAULT_SETTLE_MS;
    const readAt = clock.now();
    const owner = randomToken(16);
    await this.register.write(key, { owner, until: readAt + ttlMs });
    if (clock.now() - readAt > settleMs / 2) {
      // Stalled between seeing it free and claiming it: another may have claimed and already gone on
      // (our write replaced its claim). Step back, and let our claim lapse soon rather than at ttl.
      await this.register.write(key, { owner, until: clock.now() + 2 * settleMs });
      return undefined;
    }
    await (this.options.sleep ?? sleep)(settleMs);
    const after = await this.register.read(key);
    if (after?.owner !== owner) return undefined;
    return {
      release: async () => {
        // Only the owner frees it: if it expired and another took it meanwhile, that one keeps it.
        const current = await this.register.read(key);
        if (current?.owner === owner) await this.register.write(key, { owner: '', until: 0 });
      },
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
