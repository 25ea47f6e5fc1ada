import { describe, expect, it } from 'vitest';
import { ImageFormat } from './image.entity.js';
import { originalKey, thumbnailKey, thumbnailPrefix } from './storage-keys.js';
import { LocalStorage } from '../storage/local-storage.js';

const ID = '3f2a9c1e-0b7d-4e2a-9a51-6c0d2f9e8b10';

describe('storage paths', () => {
  it('derives keys from the id alone, sharded by its first two characters', () => {
    expect(originalKey(ID, ImageFormat.JPEG)).toBe(`originals/3f/${ID}.jpg`);
    expect(thumbnailKey(ID, 200, ImageFormat.PNG)).toBe(`thumbnails/3f/${ID}/h200.png`);
    expect(thumbnailKey(ID, 200, ImageFormat.PNG).startsWith(thumbnailPrefix(ID))).toBe(true);
  });

  it.each(['../../etc/passwd', '', 'abc', `${ID}/..`])('refuses %j as an image id', (id) => {
    expect(() => originalKey(id, ImageFormat.PNG)).toThrow(/not an image id/);
  });

  it('refuses heights that are not positive integers', () => {
    expect(() => thumbnailKey(ID, 0, ImageFormat.PNG)).toThrow();
    expect(() => thumbnailKey(ID, 1.5, ImageFormat.PNG)).toThrow();
  });
});

describe(LocalStorage.name, () => {
  const storage = new LocalStorage('/srv/media');

  it('resolves keys under its root', () => {
    expect(storage.pathOf('originals/3f/x.jpg')).toBe('/srv/media/originals/3f/x.jpg');
  });

  it.each(['../outside', 'a/../../outside', '/etc/passwd', '', 'a\0b'])('refuses the key %j', (key) => {
    expect(() => storage.pathOf(key)).toThrow(/outside the root/);
  });
});
