/** Reads GET /api/v1/events (server-sent events) from Node, for tests without a browser. */

/** An open GET /api/v1/events stream: `next(event)` resolves with the next such event's data. */
export async function openEvents(url: string, cookie: string, viewing?: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events${viewing ? `?viewing=${viewing}` : ''}`, { headers: { cookie }, signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: { event: string; data: any }[] = [];
  const waiters: (() => void)[] = [];
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) queue.push({ event, data: JSON.parse(data) });
          waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    res,
    async next(event: string, match: (d: any) => boolean = () => true): Promise<any> {
      for (;;) {
        const i = queue.findIndex((q) => q.event === event && match(q.data));
        if (i >= 0) return queue.splice(i, 1)[0].data;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    /** The data of the `event`s received and not yet taken by `next`, without waiting. */
    received: (event: string): any[] => queue.filter((q) => q.event === event).map((q) => q.data),
    close: () => controller.abort(),
  };
}

