// The server blocks every decoder but JPEG and PNG in its process, which the tests share; AVIF and WebP
// answers are read from their headers instead.

/** Format and pixel size from an AVIF (ISOBMFF `ftyp` avif, `ispe` box) or WebP (RIFF, VP8/VP8L/VP8X) header. */
export function variantHeader(bytes: Buffer): { format: 'avif' | 'webp'; width: number; height: number } | undefined {
  if (bytes.toString('latin1', 4, 8) === 'ftyp' && /avi[fs]/.test(bytes.toString('latin1', 8, 32))) {
    const ispe = bytes.indexOf('ispe');
    if (ispe === -1) return undefined;
    // box type, then version and flags (4), then width and height
    return { format: 'avif', width: bytes.readUInt32BE(ispe + 8), height: bytes.readUInt32BE(ispe + 12) };
  }
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = bytes.toString('latin1', 12, 16);
    if (chunk === 'VP8X') return { format: 'webp', width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
    if (chunk === 'VP8L') {
      const bits = bytes.readUInt32LE(21);
      return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
    }
    if (chunk === 'VP8 ') return { format: 'webp', width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  }
  return undefined;
}
