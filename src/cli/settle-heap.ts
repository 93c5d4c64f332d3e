// Once a long-running process (serve, worker) has started, one full garbage collection gives back what
// start-up grew and no longer uses. Start-up allocates in a burst (modules, runbooks compiling, the
// migrations check), which grows V8's young generation to its 32 MB maximum; an idle server then
// allocates too little to trigger the collection that would shrink it again, so ~30 MB of empty
// young-generation pages stay resident for good. Measured (bench:footprint, PostgreSQL, 30 s idle):
// 127 MB without, 98 MB with. One collection of a ~20 MB heap pauses for a few milliseconds, once.
//
// `gc` is not a global without --expose-gc on the command line (which `firebreak serve` cannot rely on:
// npx, containers and systemd start it with plain node); setting the flag at run time makes V8 define
// `gc` in contexts created afterwards, so a new vm context hands it over without putting it on ours.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** After `delayMs`, one full collection. The timer never keeps the process alive. */
export function settleHeapAfterStart(delayMs = 10_000): void {
  setTimeout(() => {
    try {
      setFlagsFromString('--expose-gc');
      (runInNewContext('gc') as () => void)();
    } catch {
      // Only memory is at stake: a runtime without the flag keeps its heap as it is.
    }
  }, delayMs).unref();
}
