import type { ComponentType } from 'react';
import type { Agent } from '../api/client';
import { navigate } from '../lib/router';
import { AgentsPage } from './AgentsPage';
import { GroupsPage } from './GroupsPage';
import { RulesPage } from './RulesPage';
import { CategorySkillsPage } from './CategorySkillsPage';
import { SlaPage } from './SlaPage';
import { CalendarsPage } from './CalendarsPage';
import { MailboxesPage } from './MailboxesPage';
import { AutoResponsesPage } from './AutoResponsesPage';
import { SettingsPage } from './SettingsPage';
import { TokensPage } from './TokensPage';
import { FailedJobsPage, InboundFailuresPage, SuspendedPage } from './OperationsPage';

type Role = Agent['role'];

/** A section of the admin area: its path under /admin/, its page, and the roles whose reads the server allows. */
interface Section { slug: string; label: string; page: ComponentType<{ me: Agent }>; roles: Role[]; group: string }

const BOTH: Role[] = ['admin', 'supervisor'];
const ADMIN: Role[] = ['admin'];

export const SECTIONS: Section[] = [
  { slug: 'agents', label: 'Agents', page: AgentsPage, roles: BOTH, group: 'People' },
  { slug: 'groups', label: 'Groups', page: GroupsPage, roles: BOTH, group: 'People' },
  { slug: 'rules', label: 'Assignment rules', page: RulesPage, roles: BOTH, group: 'Routing' },
  { slug: 'category-skills', label: 'Category skills', page: CategorySkillsPage, roles: BOTH, group: 'Routing' },
  { slug: 'settings', label: 'Priority settings', page: SettingsPage, roles: BOTH, group: 'Routing' },
  { slug: 'sla', label: 'SLA policies', page: SlaPage, roles: BOTH, group: 'SLA' },
  { slug: 'calendars', label: 'Calendars', page: CalendarsPage, roles: BOTH, group: 'SLA' },
  { slug: 'mailboxes', label: 'Mailboxes', page: MailboxesPage, roles: ADMIN, group: 'E-mail' },
  { slug: 'auto-responses', label: 'Auto-responses', page: AutoResponsesPage, roles: ADMIN, group: 'E-mail' },
  { slug: 'tokens', label: 'API tokens', page: TokensPage, roles: ['admin', 'supervisor', 'agent'], group: 'Access' },
  { slug: 'jobs', label: 'Failed jobs', page: FailedJobsPage, roles: ADMIN, group: 'Operations' },
  { slug: 'inbound-failures', label: 'Inbound failures', page: InboundFailuresPage, roles: ADMIN, group: 'Operations' },
  { slug: 'suspended', label: 'Suspended mail', page: SuspendedPage, roles: ADMIN, group: 'Operations' },
];

/**
 * The admin area (/admin/<section>): a sidebar of sections and the section's page. Supervisors
 * reach it by URL and see the sections their role may read; the server enforces the rest.
 */
export function Admin({ me, path }: { me: Agent; path: string }) {
  const sections = SECTIONS.filter((s) => s.roles.includes(me.role));
  const slug = /^\/admin\/?([^/]*)/.exec(path)?.[1] ?? '';
  const current = sections.find((s) => s.slug === slug) ?? (me.role === 'agent' ? undefined : sections[0]);
  const groups = [...new Set(sections.map((s) => s.group))];
  const Page = current?.page;
  return (
    <div className="admin">
      <nav className="admin-nav" aria-label="Admin sections">
        {groups.map((g) => (
          <div key={g}>
            <h2>{g}</h2>
            <ul>
              {sections.filter((s) => s.group === g).map((s) => (
                <li key={s.slug}>
                  <a href={`/admin/${s.slug}`} aria-current={s === current ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate(`/admin/${s.slug}`); }}>
                    {s.label}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main className="admin-main">
        {Page && current ? (
          <>
            <h1>{current.label}</h1>
            <Page key={current.slug} me={me} />
          </>
        ) : (
          <p className="form-problem forbidden" role="alert">The admin area is for admins and supervisors.</p>
        )}
      </main>
    </div>
  );
}
