import type { ReactNode } from 'react';
import { navigate } from '../lib/router';

/** A link inside the portal that moves the SPA without a reload (a modified click opens a tab as usual). */
export function PortalLink({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a href={to} className={className} onClick={(e) => {
      if (e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      navigate(to);
    }}>{children}</a>
  );
}
