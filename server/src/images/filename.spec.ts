import { describe, expect, it } from 'vitest';
import { cleanFilename } from './filename.js';

describe(cleanFilename.name, () => {
  it('undoes the three escapes HTML form encoding puts into a filename', () => {
    expect(cleanFilename('a %22b%22.jpg', 'jpg')).toBe('a "b".jpg');
    // CR and LF come back as control characters, which go
    expect(cleanFilename('line%0D%0Abreak.png', 'png')).toBe('linebreak.png');
    expect(cleanFilename('%22%22%22.png', 'png')).toBe('""".png');
  });

  it('leaves every other percent sign as the user typed it', () => {
    expect(cleanFilename('a%41.jpg', 'jpg')).toBe('a%41.jpg');
    expect(cleanFilename('100%.png', 'png')).toBe('100%.png');
    expect(cleanFilename('%2522.png', 'png')).toBe('%2522.png');
    // encoders write the escapes upper-case; lower case is the user's own text
    expect(cleanFilename('a%22%0a%0d.png', 'png')).toBe('a"%0a%0d.png');
  });

  it('does not let an undone escape make a path', () => {
    expect(cleanFilename('%22/..%0A/x.png', 'png')).toBe('x.png');
  });

  it('still cleans as before: last path segment, NFC, no control or bidi characters, a fallback', () => {
    expect(cleanFilename('../../etc/passwd', 'png')).toBe('passwd');
    expect(cleanFilename('e\u0301\u202e.png', 'png')).toBe('é.png');
    expect(cleanFilename(undefined, 'jpg')).toBe('image.jpg');
    expect(cleanFilename('%0A', 'jpg')).toBe('image.jpg');
  });
});
