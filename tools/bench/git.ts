/** Which commit a result was measured on: the checkout's HEAD (and whether it had changes), or a baseline. */
import { spawnSync } from 'node:child_process';

export interface CommitInfo {
  /** Full commit id, or "unknown" outside a git checkout. */
  readonly id: string;
  readonly short: string;
  /** The commit's subject line. */
  readonly subject: string;
  /** Tracked files differed from the commit when the bench started (untracked files do not count). */
  readonly dirty: boolean;
}

/** `git -C dir ...`: its trimmed stdout, or throws with git's message. */
export function git(dir: string, args: readonly string[], timeoutMs = 60_000): string {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`git ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** The commit `ref` names in the repository at dir (a branch, tag, HEAD~1, an id). */
export function commitOf(dir: string, ref: string): CommitInfo {
  const id = git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return { id, short: git(dir, ['rev-parse', '--short', id]), subject: git(dir, ['log', '-1', '--format=%s', id]), dirty: false };
}

/** The checkout's HEAD, and whether its tracked files have changes. */
export function headCommit(dir: string): CommitInfo {
  try {
    const head = commitOf(dir, 'HEAD');
    return { ...head, dirty: git(dir, ['status', '--porcelain', '--untracked-files=no']) !== '' };
  } catch {
    return { id: 'unknown', short: 'unknown', subject: '', dirty: false };
  }
}

/** "b378dd6" or "b378dd6+changes" (a checkout with uncommitted changes to tracked files). */
export const commitLabel = (c: CommitInfo): string => `${c.short}${c.dirty ? '+changes' : ''}`;
