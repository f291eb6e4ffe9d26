/**
 * The refresh lease for stores without compare-and-set (src/core/register-lease.ts), on a register
 * that behaves like a shared database seen from several server instances: every read and write
 * takes a random few milliseconds, and writes are last-writer-wins.
 */
import { RegisterLease, type LeaseClaim, type LeaseRegister } from '../../src/core/register-lease';
import { systemClock } from '../../src/core/ports';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A shared register whose operations take 0–`jitterMs` ms each, in a deterministic pseudo-random sequence. */
function sharedRegister(jitterMs: number, seed = 7): LeaseRegister & { writes: number } {
  const values = new Map<string, LeaseClaim>();
  let state = seed;
  const latency = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return pause((state / 2 ** 31) * jitterMs);
  };
  return {
    writes: 0,
    async read(key) {
      await latency();
      const value = values.get(key);
      return value && { ...value };
    },
    async write(key, claim) {
      await latency();
      this.writes += 1;
      values.set(key, { ...claim });
    },
  };
}

/** Instances × attempts contenders, each retrying until it held the lease once; answers the most holders seen at one time. */
async function contend(register: LeaseRegister, instances: number, attemptsEach: number, settleMs: number): Promise<{ maxHolders: number; held: number }> {
  let holders = 0;
  let maxHolders = 0;
  let held = 0;
  const leases = Array.from({ length: instances }, () => new RegisterLease(register, { clock: systemClock, settleMs }));
  await Promise.all(
    leases.flatMap((lease) =>
      Array.from({ length: attemptsEach }, async () => {
        for (;;) {
          const handle = await lease.acquire('refresh:u1:acme', 5_000);
          if (!handle) {
            await pause(5);
            continue;
          }
          holders += 1;
          held += 1;
          maxHolders = Math.max(maxHolders, holders);
          await pause(3); // the refresh request
          holders -= 1;
          await handle.release();
          return;
        }
      }),
    ),
  );
  return { maxHolders, held };
}

describe('the refresh lease without compare-and-set (Fischer’s timed mutual exclusion)', () => {
  it('lets one instance at a time hold it when every store operation is faster than the settle time', async () => {
    const result = await contend(sharedRegister(4), 3, 6, 20);
    expect(result.held).toBe(18);
    expect(result.maxHolders).toBe(1);
  });

  it('is not taken while a live claim of another owner is in the register, and is again once that claim expires', async () => {
    // A settle time well above what a loaded CI machine adds between a read and a write: under half
    // of it, an acquirer does not take itself for a stalled one and step back (register-lease.ts).
    const register = sharedRegister(0);
    const first = new RegisterLease(register, { clock: systemClock, settleMs: 100 });
    const handle = await first.acquire('k', 400);
    expect(handle).toBeDefined();
    const other = new RegisterLease(register, { clock: systemClock, settleMs: 100 });
    expect(await other.acquire('k', 400)).toBeUndefined();
    await pause(450);
    const after = await other.acquire('k', 400);
    expect(after).toBeDefined();
    // The first owner's late release frees nothing it no longer holds.
    await handle!.release();
    expect(await first.acquire('k', 400)).toBeUndefined();
  });

  it('an instance stalled between reading and writing longer than half the settle time steps back: never two holders, and its claim lapses soon', async () => {
    const values = new Map<string, LeaseClaim>();
    let stallNextWrite = true;
    const register: LeaseRegister = {
      read: async (key) => values.get(key),
      write: async (key, claim) => {
        // The first writer is paused (a garbage-collection pause, a starved CPU) after it read the register free.
        if (stallNextWrite) {
          stallNextWrite = false;
          await pause(60);
        }
        values.set(key, claim);
      },
    };
    const stalled = new RegisterLease(register, { clock: systemClock, settleMs: 10 }).acquire('k', 5_000);
    const prompt = await new RegisterLease(register, { clock: systemClock, settleMs: 10 }).acquire('k', 5_000);
    expect(prompt).toBeDefined();
    expect(await stalled).toBeUndefined();
    // Its claim (which replaced the prompt one's) lapses after two settle times, not the lease's 5 s.
    await pause(30);
    expect(await new RegisterLease(register, { clock: systemClock, settleMs: 10 }).acquire('k', 5_000)).toBeDefined();
  });
});
