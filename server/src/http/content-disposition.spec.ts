import { describe, expect, it } from 'vitest';
import { ImageFormat } from '../images/image.entity.js';
import { downloadName, inlineDisposition } from './content-disposition.js';

const { JPEG, PNG } = ImageFormat;
const ORIGINAL = { kind: 'original' } as const;
const H200 = { kind: 'thumbnail', height: 200 } as const;

describe(downloadName.name, () => {
  it('is the uploaded name for an original, with the height before the extension for a thumbnail', () => {
    expect(downloadName('holiday.jpg', JPEG, ORIGINAL)).toBe('holiday.jpg');
    expect(downloadName('holiday.jpg', JPEG, H200)).toBe('holiday-h200.jpg');
    expect(downloadName('my.trip.png', PNG, H200)).toBe('my.trip-h200.png');
  });

  it('keeps an extension that names the detected format as typed', () => {
    expect(downloadName('IMG_0001.JPG', JPEG, ORIGINAL)).toBe('IMG_0001.JPG');
    expect(downloadName('scan.jpeg', JPEG, H200)).toBe('scan-h200.jpeg');
  });

  it('always ends in the detected format’s extension, whatever the upload was called', () => {
    expect(downloadName('scan.jpg', PNG, ORIGINAL)).toBe('scan.png');
    expect(downloadName('evil-name.html', JPEG, ORIGINAL)).toBe('evil-name.jpg');
    expect(downloadName('evil-name.html', JPEG, H200)).toBe('evil-name-h200.jpg');
    expect(downloadName('no extension', PNG, ORIGINAL)).toBe('no extension.png');
  });

  it('does not take what only looks like a dot for an extension', () => {
    expect(downloadName('photo.2024', JPEG, ORIGINAL)).toBe('photo.2024.jpg');
    expect(downloadName('notes.longext', PNG, ORIGINAL)).toBe('notes.longext.png');
  });

  it('names a file whose stem is empty "image"', () => {
    expect(downloadName(' .png', PNG, ORIGINAL)).toBe('image.png');
    expect(downloadName('.png', PNG, H200)).toBe('image-h200.png');
    expect(downloadName('.jpg', PNG, ORIGINAL)).toBe('image.png');
  });
});

describe(inlineDisposition.name, () => {
  it('gives a plain name twice', () => {
    expect(inlineDisposition('holiday.jpg')).toBe(`inline; filename="holiday.jpg"; filename*=UTF-8''holiday.jpg`);
  });

  it('gives a non-ASCII name exactly in filename* and an ASCII stand-in in filename', () => {
    expect(inlineDisposition('Café 東京.jpg')).toBe(`inline; filename="Cafe __.jpg"; filename*=UTF-8''Caf%C3%A9%20%E6%9D%B1%E4%BA%AC.jpg`);
    expect(inlineDisposition('ﬁsh 😀.png')).toBe(`inline; filename="fish _.png"; filename*=UTF-8''%EF%AC%81sh%20%F0%9F%98%80.png`);
  });

  it('escapes quotes and backslashes in filename and percent-encodes them in filename*', () => {
    expect(inlineDisposition('a "b" \\c.jpg')).toBe(`inline; filename="a \\"b\\" \\\\c.jpg"; filename*=UTF-8''a%20%22b%22%20%5Cc.jpg`);
  });

  it('encodes what RFC 8187 attr-char lacks though encodeURIComponent keeps it', () => {
    expect(inlineDisposition("it's (1)*.png")).toBe(`inline; filename="it's (1)*.png"; filename*=UTF-8''it%27s%20%281%29%2A.png`);
  });

  it('keeps a % escape out of filename, where some clients would decode it', () => {
    expect(inlineDisposition('a%41 100%.jpg')).toBe(`inline; filename="a_41 100%.jpg"; filename*=UTF-8''a%2541%20100%25.jpg`);
  });

  it('never puts a control character or a lone surrogate into the header', () => {
    const header = inlineDisposition('a\r\nb\u0000\uD800.jpg');
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(header).toContain(`filename*=UTF-8''a%0D%0Ab%00%EF%BF%BD.jpg`);
  });
});
