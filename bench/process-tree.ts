// The provider's own cost, read from /proc for the process `idp start` runs in and every process under it (the
// cluster's workers): CPU time does not depend on what else shares the cores, unlike requests per second.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { POOL_THREAD } from '../provider/platform/thread-priority.ts';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Stat {
  pid: number;
  ppid: number;
  cpuTicks: number;
}

/** /proc/<pid>/stat: the command may hold spaces and parentheses, so the fields are counted after its last ')'. */
function readStat(pid: number, file = `/proc/${pid}/stat`): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the command: state(3) ppid(4) … utime(14) stime(15), numbered as in proc(5).
  return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function tree(root: number): Stat[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is Stat => s !== undefined);
  const members = new Set([root]);
  // Parents come before children in no guaranteed order: repeat until the set stops growing.
  for (let grew = true; grew;) {
    grew = false;
    for (const s of all) {
      if (members.has(s.ppid) && !members.has(s.pid)) {
        members.add(s.pid);
        grew = true;
      }
    }
  }
  return all.filter((s) => members.has(s.pid));
}

/** User + system CPU milliseconds spent so far by `root` and the processes under it that are still running. */
export function treeCpuMs(root: number): number {
  return (tree(root).reduce((sum, s) => sum + s.cpuTicks, 0) * 1000) / TICKS_PER_SECOND;
}

/**
 * The part of treeCpuMs spent on libuv's thread pool (threads named POOL_THREAD): argon2id's hashing, and the
 * WebCrypto jobs that sign and verify tokens; the rest is the event loops and V8's own threads.
 */
export function treePoolCpuMs(root: number): number {
  let ticks = 0;
  for (const s of tree(root)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${s.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        if (readFileSync(`/proc/${s.pid}/task/${tid}/comm`, 'utf8').trim() === POOL_THREAD)
          ticks += readStat(Number(tid), `/proc/${s.pid}/task/${tid}/stat`)?.cpuTicks ?? 0;
      } catch {
        /* the thread ended between the listing and the read */
      }
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Resident memory of `root` and the processes under it, in MiB. */
export function treeRssMiB(root: number): number {
  let kib = 0;
  for (const s of tree(root)) {
    try {
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* exited between the listing and the read */
    }
  }
  return kib / 1024;
}
