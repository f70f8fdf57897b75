/**
 * Runs once before the test files: installs the mail services the e-mail tests start (Dovecot,
 * spamd; see test/helpers/mail-services.ts) when this machine lacks them, so that parallel test
 * files never race apt. We run as root on this kind of machine; nothing is started here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = ['dovecot-imapd', 'spamassassin', 'spamc', 'spamd'];

export default function setup(): void {
  if (existsSync('/usr/sbin/dovecot') && existsSync('/usr/sbin/spamd')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], { stdio: 'inherit', env });
  try {
    install();
  } catch {
    // a fresh machine may have no package lists yet
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    install();
  }
}
