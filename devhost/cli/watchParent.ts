/**
 * Calls `onExit` once when the process that started this one has gone (this process was re-parented), checking
 * every `everyMs`. Only when started by an npm script (`npm run dev`, `npx`): npm forwards SIGINT/SIGTERM, but
 * when npm itself is killed outright (SIGKILL, a crashed terminal) nothing would otherwise stop the stack, and
 * it would hold its ports with nobody to stop it. A stack started by hand (`nohup dispatcher dev &`) is left
 * alone: there, outliving the shell is what was asked for.
 */
export function watchParent(
  onExit: () => void,
  everyMs = 500,
  startedByNpm = process.env.npm_lifecycle_event !== undefined,
): void {
  if (!startedByNpm) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    // process.ppid is read from the OS on each access.
    if (process.ppid !== parent) {
      clearInterval(timer);
      onExit();
    }
  }, everyMs);
  timer.unref();
}
