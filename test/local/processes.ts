/**
 * The processes a test's child started, read from /proc (Linux): to check that `npm start` leaves
 * none behind when it stops.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const haveProc = existsSync('/proc/self/stat');

interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  command: string;
}

function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), ppid: Number(ppid), pgrp: Number(pgrp), state, command });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The live descendants of `pid`, with their command lines. */
export function descendants(pid: number): Array<{ pid: number; command: string }> {
  const all = processes().filter((p) => p.state !== 'Z');
  const found: ProcessInfo[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const children = all.filter((p) => parents.has(p.ppid));
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return found.map(({ pid: child, command }) => ({ pid: child, command }));
}

/** Which of these pids still run (zombies waiting for a reaper do not). */
export function stillRunning(pids: number[]): number[] {
  const live = new Set(
    processes()
      .filter((p) => p.state !== 'Z')
      .map((p) => p.pid),
  );
  return pids.filter((pid) => live.has(pid));
}

/** The live processes of a process group, with their command lines. */
export function processGroup(pgrp: number): Array<{ pid: number; command: string }> {
  return processes()
    .filter((p) => p.pgrp === pgrp && p.state !== 'Z')
    .map(({ pid, command }) => ({ pid, command }));
}
