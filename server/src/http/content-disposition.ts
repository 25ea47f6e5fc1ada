import type { ImageFormat } from '../images/image.entity.js';
import { extensionOf } from '../images/storage-keys.js';
import type { Variant } from '../links/link-urls.js';

/** Extensions that already name a format; kept as the user typed them (`IMG_0001.JPG`). */
const OWN_EXTENSIONS: Record<ImageFormat, readonly string[]> = { JPEG: ['jpg', 'jpeg', 'jpe', 'jfif'], PNG: ['png'] };

/** A name's last `.ext` when it looks like one: 1 to 5 letters and digits with a letter among them (not `photo.2024`); a name that is only `.jpg` is nothing but one. */
const EXTENSION = /\.(?=[A-Za-z0-9]{0,4}[A-Za-z])([A-Za-z0-9]{1,5})$/;

/**
 * The name a download is saved under: the uploaded name (already cleaned), a thumbnail's height
 * before the extension (`holiday-h200.jpg`), and always the detected format's extension, whatever
 * the upload was called (`evil.html` that is a JPEG is `evil.jpg`).
 */
export function downloadName(filename: string, format: ImageFormat, variant: Variant): string {
  const match = EXTENSION.exec(filename);
  const typed = match?.[1];
  const stem = (typed === undefined ? filename : filename.slice(0, -typed.length - 1)).trim() || 'image';
  const extension = typed !== undefined && OWN_EXTENSIONS[format].includes(typed.toLowerCase()) ? typed : extensionOf(format);
  return `${stem}${variant.kind === 'thumbnail' ? `-h${variant.height}` : ''}.${extension}`;
}

/**
 * `inline` (shown, not forced to a download) with the name twice (RFC 6266): `filename*` holds it
 * exactly, as UTF-8 percent-encoded (RFC 8187), and `filename` an ASCII stand-in for clients that
 * predate `filename*`.
 */
export function inlineDisposition(name: string): string {
  return `inline; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

/**
 * ASCII only: a character that is a printable ASCII one with accents (`é` → `e`) or in another form
 * (`ﬁ` → `fi`) becomes that, any other becomes `_`; quotes and backslashes are escaped as a quoted
 * string needs, and a `%` that looks like an escape is replaced, since some clients decode escapes in
 * `filename` (RFC 6266 appendix D).
 */
function asciiFallback(name: string): string {
  return [...name]
    .map((char) => {
      const plain = char.normalize('NFKD').replace(/\p{M}/gu, '');
      return /^[\x20-\x7e]+$/.test(plain) ? plain : '_';
    })
    .join('')
    .replace(/%(?=[0-9A-Fa-f]{2})/g, '_')
    .replace(/["\\]/g, (char) => `\\${char}`);
}

/** RFC 8187 value-chars: UTF-8 bytes percent-encoded but for attr-char, which lacks `'()*` that encodeURIComponent keeps. */
function encodeExtValue(name: string): string {
  // a lone surrogate has no UTF-8 (encodeURIComponent throws on it); a name from the database never holds one
  return encodeURIComponent(name.replace(/\p{Cs}/gu, '\uFFFD')).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
