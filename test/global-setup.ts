/**
 * Runs once before the test files: installs what the tests start when this machine lacks it —
 * the mail services of the e-mail tests (Dovecot, spamd; see test/helpers/mail-services.ts) and
 * Debian's Chromium for the end-to-end tests (test/e2e) — so that parallel test files never race
 * apt; then builds the web UI when web/dist is stale (the e2e tests load it from the server).
 * We run as root on this kind of machine; nothing is started here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildWeb, webIsStale } from '../bin/build-web.mjs';

const MAIL_PACKAGES = ['dovecot-imapd', 'spamassassin', 'spamc', 'spamd'];
const CHROMIUM = '/usr/bin/chromium';

function aptInstall(packages: string[]): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  try {
    install();
  } catch {
    // a fresh machine may have no package lists yet
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
}

export default async function setup(): Promise<void> {
  const missing = [
    ...(existsSync('/usr/sbin/dovecot') && existsSync('/usr/sbin/spamd') ? [] : MAIL_PACKAGES),
    ...(existsSync(CHROMIUM) ? [] : ['chromium']),
  ];
  if (missing.length) aptInstall(missing);
  if (webIsStale()) await buildWeb();
}
