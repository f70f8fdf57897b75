/**
 * The policy inside an e-mail frame: nothing may load or run (no scripts, no remote images
 * that would tell the sender the mail was read); inline images (data:) and inline styles only.
 */
export const EMAIL_FRAME_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src 'none'; form-action 'none'";

/** The document an e-mail's HTML is shown in (the HTML is already sanitized by the server). */
export function emailDocument(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${EMAIL_FRAME_CSP}">`
    + '<base target="_blank"><style>body{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1d2330;word-wrap:break-word}img{max-width:100%}</style>'
    + `</head><body>${html}</body></html>`;
}

/**
 * An e-mail's HTML, rendered inert: a sandboxed frame with no permissions at all
 * (`sandbox=""`: no scripts, no same origin, no forms, no popups, no top navigation), its
 * document given as `srcdoc` with a CSP of its own. The server sanitized the HTML already;
 * this is the second wall, for what a sanitizer might miss.
 */
export function EmailFrame({ html, title }: { html: string; title: string }) {
  // a rough height from the text length: a sandbox without same origin cannot be measured
  const height = Math.min(480, Math.max(120, Math.ceil(html.replace(/<[^>]*>/g, '').length / 90) * 22 + 40));
  return <iframe className="email-frame" sandbox="" srcDoc={emailDocument(html)} title={title} style={{ height }} referrerPolicy="no-referrer" />;
}
