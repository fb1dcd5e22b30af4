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

  static async start(backend: string, args: Record<string, unknown>): Promise<ScenarioChild> {
    const child = new ScenarioChild(fork(CHILD, [backend, JSON.stringify(args)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    await child.next('started');
    return child;
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

/** Kills whatever is still running (after-hook cleanup). */
export async function killAll(children: ScenarioChild[]): Promise<void> {
  await Promise.all(children.splice(0).map((child) => child.kill()));
}
