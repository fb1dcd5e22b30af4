// Forks scenario children (fixtures/child.ts) and talks to them over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

type Message = Record<string, unknown>;

export class ScenarioChild {
  private readonly inbox: Message[] = [];
  private readonly waiting: Array<(message: Message) => void> = [];
  private exitError: Error | undefined;

  private constructor(readonly process: ChildProcess) {
    process.on('message', (message: Message) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(message);
      else this.inbox.push(message);
    });
    process.on('exit', (code, signal) => {
      this.exitError = new Error(`child ${process.pid} exited (code ${code}, signal ${signal}) before answering`);
      for (const waiter of this.waiting.splice(0)) waiter({ exited: true });
    });
  }

  static async start(): Promise<ScenarioChild> {
    const child = new ScenarioChild(fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    await child.next('started');
    return child;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Starts a scenario over `backend` with `args`. */
  run(backend: string, args: Record<string, unknown>, scenario: Record<string, unknown>): void {
    this.send({ backend, args, scenario });
  }

  get pid(): number {
    return this.process.pid!;
  }

  send(message: unknown): void {
    this.process.send(message as Message);
  }

  /** The next message that has `field`; throws if the child exits first or reports an error. */
  async next(field: string): Promise<Message> {
    for (;;) {
      const message = this.inbox.shift() ?? (this.exitError ? { exited: true } : await new Promise<Message>((resolve) => this.waiting.push(resolve)));
      if (message.exited) throw this.exitError ?? new Error('child exited');
      if (typeof message.error === 'string') throw new Error(`child ${this.pid} failed: ${message.error}`);
      if (field in message) return message;
    }
  }

  async result<T>(): Promise<T> {
    return (await this.next('result')).result as T;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = once(this.process, 'exit');
    this.process.kill(signal);
    await exited;
  }
}

/**
 * Children started once and reused by every test of a suite (starting a TypeScript child takes a
 * second or more). `take(n)` tops the pool up, replacing killed children.
 */
export class ChildPool {
  private readonly children: ScenarioChild[] = [];

  async take(count: number): Promise<ScenarioChild[]> {
    for (let i = this.children.length - 1; i >= 0; i--) if (!this.children[i]!.alive) this.children.splice(i, 1);
    const missing = count - this.children.length;
    if (missing > 0) this.children.push(...(await Promise.all(Array.from({ length: missing }, () => ScenarioChild.start()))));
    return this.children.slice(0, count);
  }

  async close(): Promise<void> {
    await Promise.all(this.children.splice(0).map((child) => child.kill()));
  }
}
