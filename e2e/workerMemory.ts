import type { Browser, CDPSession } from '@playwright/test';

/** A worker's JS heap as CDP's Runtime.getHeapUsage gives it: the V8 heap and the ArrayBuffers' backing stores. */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize: number;
}

/**
 * Reads a dedicated worker's heap through the browser's CDP connection (Playwright gives no CDP
 * session to a worker): attaches to the worker target whose URL contains `urlPart` and relays
 * Runtime.getHeapUsage to it.
 */
export async function workerHeap(browser: Browser, urlPart: string): Promise<{ read(): Promise<HeapUsage>; close(): Promise<void> }> {
  const cdp: CDPSession = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'worker' && t.url.includes(urlPart));
  if (!target) throw new Error(`no worker whose URL contains ${urlPart}: ${targetInfos.map((t) => `${t.type} ${t.url}`).join(', ')}`);
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let next = 0;
  const waiting = new Map<number, (m: { result?: HeapUsage; error?: { message: string } }) => void>();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    if (e.sessionId !== sessionId) return;
    const m = JSON.parse(e.message) as { id?: number; result?: HeapUsage; error?: { message: string } };
    if (m.id !== undefined) waiting.get(m.id)?.(m);
    if (m.id !== undefined) waiting.delete(m.id);
  });
  return {
    read: () =>
      new Promise<HeapUsage>((resolve, reject) => {
        const id = ++next;
        waiting.set(id, (m) => (m.result ? resolve(m.result) : reject(new Error(m.error?.message ?? 'no heap usage'))));
        void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage', params: {} }) });
      }),
    close: () => cdp.detach(),
  };
}
