// A typed in-process event emitter. Tests wait on these events instead of sleeping; they describe what
// one process did, while the journal is the durable record.
import { EventEmitter } from 'node:events';

export class TypedEvents<M extends object> {
  private readonly emitter = new EventEmitter();

  constructor(private readonly label = 'event') {
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof M & string>(name: K, payload: M[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof M & string>(name: K, fn: (payload: M[K]) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }

  /** Resolves with the first event for which `match` holds. */
  waitFor<K extends keyof M & string>(
    name: K,
    match: (payload: M[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<M[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${this.label} ${name}`));
      }, timeoutMs);
      const off = this.on(name, (p) => {
        if (!match(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}
