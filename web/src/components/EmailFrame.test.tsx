import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from '@testing-library/react';
import { EMAIL_FRAME_CSP, EmailFrame, emailDocument } from './EmailFrame';

afterEach(cleanup);

describe('EmailFrame', () => {
  it('puts the HTML in a frame with no sandbox permission at all, as srcdoc', () => {
    const { container } = render(<EmailFrame html="<p>Hi <b>there</b></p>" title="E-mail from ann@example.com" />);
    const frame = container.querySelector('iframe')!;
    expect(frame.getAttribute('sandbox')).toBe('');
    expect(frame.getAttribute('src')).toBeNull();
    expect(frame.getAttribute('title')).toBe('E-mail from ann@example.com');
    expect(frame.getAttribute('srcdoc')).toContain('<p>Hi <b>there</b></p>');
  });

  it('gives the document a policy that loads and runs nothing', () => {
    expect(EMAIL_FRAME_CSP).toMatch(/^default-src 'none'/);
    expect(EMAIL_FRAME_CSP).not.toMatch(/script-src|unsafe-eval|https?:/);
    const doc = emailDocument('<img src="https://tracker.test/pixel.gif">');
    // the policy comes before the message, so it applies to all of it
    expect(doc.indexOf('Content-Security-Policy')).toBeLessThan(doc.indexOf('tracker.test'));
  });
});
