import { useEffect, useRef, useState } from 'react';

export interface TicketEvent {
  ticketId: string;
  kind: 'created' | 'updated' | 'commented';
}
export interface Viewer {
  id: string;
  name: string;
}

/**
 * Subscribes to GET /api/v1/events (server-sent events, session cookie). `onTicket` runs for
 * every ticket event; with `viewing`, this tab counts as viewing that ticket and the hook
 * returns who views it (the server's list, this agent included). EventSource reconnects by itself;
 * `onTicket` also runs after a reconnect with no event, so missed changes are refetched.
 */
export function useLiveEvents(onTicket: (e: TicketEvent | null) => void, viewing?: string): Viewer[] {
  const handler = useRef(onTicket);
  handler.current = onTicket;
  const [viewers, setViewers] = useState<Viewer[]>([]);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/v1/events${viewing ? `?viewing=${encodeURIComponent(viewing)}` : ''}`);
    let opened = false;
    source.onopen = () => {
      if (opened) handler.current(null);
      opened = true;
    };
    source.addEventListener('ticket', (m) => handler.current(JSON.parse((m as MessageEvent).data)));
    source.addEventListener('viewers', (m) => {
      const data = JSON.parse((m as MessageEvent).data) as { ticketId: string; viewers: Viewer[] };
      if (viewing && data.ticketId === viewing) setViewers(data.viewers);
    });
    return () => {
      source.close();
      setViewers([]);
    };
  }, [viewing]);
  return viewers;
}
