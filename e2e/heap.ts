import type { CDPSession, Page } from '@playwright/test';

/**
 * The studio worker's JS heap through the Chrome DevTools Protocol: the page's CDP session
 * attaches to its dedicated workers (non-flattened, so messages go through
 * Target.sendMessageToTarget), collects garbage there and reads `Runtime.getHeapUsage`
 * (V8 heap in use plus the ArrayBuffer backing stores, which hold pixels and weights).
 */
export class WorkerHeap {
  private constructor(
    private readonly cdp: CDPSession,
    private readonly sessionId: string,
  ) {}
  private nextId = 1;

  static async attach(page: Page, urlPart = 'studio'): Promise<WorkerHeap> {
    const cdp = await page.context().newCDPSession(page);
    const found = new Promise<string>((resolve) => {
      cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string; url: string } }) => {
        if (e.targetInfo.type === 'worker' && e.targetInfo.url.includes(urlPart)) resolve(e.sessionId);
      });
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    const sessionId = await Promise.race([found, new Promise<string>((_, rej) => setTimeout(() => rej(new Error('no studio worker target')), 30_000))]);
    return new WorkerHeap(cdp, sessionId);
  }

  private call<T>(method: string, params: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (e: { sessionId: string; message: string }) => {
        if (e.sessionId !== this.sessionId) return;
        const m = JSON.parse(e.message) as { id?: number; result?: T; error?: { message: string } };
        if (m.id !== id) return;
        this.cdp.off('Target.receivedMessageFromTarget', onMessage);
        if (m.error) reject(new Error(m.error.message));
        else resolve(m.result as T);
      };
      this.cdp.on('Target.receivedMessageFromTarget', onMessage);
      void this.cdp.send('Target.sendMessageToTarget', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) });
    });
  }

  /** Bytes in use after a full garbage collection: V8 heap plus ArrayBuffer backing stores. */
  async used(): Promise<{ heap: number; backing: number; total: number }> {
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    const u = await this.call<{ usedSize: number; backingStorageSize?: number; embedderHeapUsedSize?: number }>('Runtime.getHeapUsage');
    const backing = u.backingStorageSize ?? 0;
    return { heap: u.usedSize, backing, total: u.usedSize + backing };
  }
}
