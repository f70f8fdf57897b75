/**
 * HTML from e-mail is hostile until proven otherwise. sanitize-html keeps an
 * allow-list of formatting elements and attributes; everything that can run
 * code, load a document or submit data is dropped. Remote images are blocked
 * by default (they track the reader); inline images (cid:) are rewritten to
 * the stored attachment's URL. The result is still shown by the web UI inside
 * a sandboxed frame: this is the first of two walls.
 */
import sanitizeHtml from 'sanitize-html';

const ALLOWED_TAGS = [
  'a', 'abbr', 'address', 'b', 'bdi', 'bdo', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup',
  'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd',
  'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody',
  'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul', 'wbr',
];
const SAFE_STYLE = /^(?!.*(expression|javascript|vbscript|url\s*\(|@import|behavior|binding))[-\w\s#.,%()'"!/]*$/i;
const STYLE_PROPS = [
  'color', 'background-color', 'font-size', 'font-family', 'font-weight', 'font-style', 'text-align', 'text-decoration',
  'margin', 'margin-left', 'margin-right', 'margin-top', 'margin-bottom', 'padding', 'padding-left', 'padding-right',
  'padding-top', 'padding-bottom', 'border', 'border-left', 'border-collapse', 'width', 'height', 'vertical-align',
  'white-space', 'line-height',
];

export interface SanitizeOptions {
  /** the URL of an inline image by its Content-ID; undefined drops the image */
  cidUrl?: (cid: string) => string | undefined;
  /** show images from other servers (off by default: they track the reader) */
  allowRemoteImages?: boolean;
}

export function sanitizeEmailHtml(html: string, opts: SanitizeOptions = {}): { html: string; blockedImages: number } {
  let blockedImages = 0;
  const out = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      '*': ['style', 'title', 'align', 'dir', 'lang', 'width', 'height', 'valign', 'bgcolor', 'color'],
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height', 'data-blocked-src'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      table: ['border', 'cellpadding', 'cellspacing', 'summary'],
      font: ['face', 'size', 'color'],
      ol: ['start', 'type'],
      col: ['span'],
      colgroup: ['span'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel', 'cid'],
    allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    allowedStyles: { '*': Object.fromEntries(STYLE_PROPS.map((p) => [p, [SAFE_STYLE]])) },
    // script, style, title, textarea … are dropped with their content
    // (iframe, object, svg … are dropped as tags and keep their text: an unclosed one must not swallow the rest of the mail)
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'xml'],
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' } }),
      img: (tagName, attribs) => {
        const src = (attribs.src ?? '').trim();
        const rest = { alt: attribs.alt ?? '', ...(attribs.width ? { width: attribs.width } : {}), ...(attribs.height ? { height: attribs.height } : {}) };
        if (/^cid:/i.test(src)) {
          const url = opts.cidUrl?.(decodeURIComponent(src.slice(4)).replace(/^<|>$/g, ''));
          return url ? { tagName, attribs: { ...rest, src: url } } : { tagName: 'span', attribs: {}, text: rest.alt };
        }
        if (/^data:image\/(png|gif|jpe?g|webp);base64,/i.test(src)) return { tagName, attribs: { ...rest, src } };
        if (/^https?:/i.test(src) && opts.allowRemoteImages) return { tagName, attribs: { ...rest, src } };
        if (src) blockedImages++;
        return { tagName, attribs: { ...rest, ...(/^https?:/i.test(src) ? { 'data-blocked-src': src } : {}) } };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src && !frame.attribs['data-blocked-src'] && !frame.attribs.alt,
  });
  return { html: out, blockedImages };
}
