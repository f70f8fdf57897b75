import type { Clock } from '../../src/platform/clock.ts';

/** Real time, but strictly increasing, so tickets created one after the other never share a created_at. */
export function monotonicClock(): Clock {
  let last = 0;
  return {
    now: () => {
      const n = Math.max(Date.now(), last + 1);
      last = n;
      return new Date(n);
    },
  };
}
