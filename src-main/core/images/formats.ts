/**
 * Recognising image files by their first bytes (magic numbers), not by their extension.
 * A file that claims to be `.jpg` but holds text is "not an image"; a file that starts like
 * a JPEG but fails to decode is "corrupt".
 */

/** The formats the app decodes (all through sharp/libvips). */
export const SUPPORTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;

/** One of `SUPPORTED_FORMATS`, as reported in probe results and dataset images. */
export type SupportedFormat = (typeof SUPPORTED_FORMATS)[number];

/** What the first bytes of a file say it is. */
export type SniffResult =
  | { kind: 'supported'; format: SupportedFormat }
  /** A known image format sharp's prebuilt binaries cannot (or should not) decode here. */
  | { kind: 'unsupported'; format: string }
  | { kind: 'unknown' };

/** How many leading bytes `sniffFormat` needs to see at most. */
export const SNIFF_BYTES = 64;

const ascii = (bytes: Uint8Array, start: number, text: string): boolean => {
  if (bytes.length < start + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
};

/** ISO-BMFF (`ftyp`) brands: AVIF is supported, HEIC/HEIF (HEVC) is not in sharp's prebuilt libvips. */
function sniffIsoBmff(bytes: Uint8Array): SniffResult | undefined {
  if (!ascii(bytes, 4, 'ftyp') || bytes.length < 12) return undefined;
  const boxSize = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const end = Math.min(bytes.length, Math.max(12, boxSize));
  const brands: string[] = [];
  for (let i = 8; i + 4 <= end; i += 4) {
    if (i === 12) continue; // minor version, not a brand
    brands.push(String.fromCharCode(bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]));
  }
  if (brands.includes('avif') || brands.includes('avis')) return { kind: 'supported', format: 'avif' };
  if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b))) {
    return { kind: 'unsupported', format: 'HEIC' };
  }
  if (brands.some((b) => b.startsWith('jp2') || b === 'jpx ')) return { kind: 'unsupported', format: 'JPEG 2000' };
  return { kind: 'unknown' };
}

/**
 * Identifies an image format from a file's first bytes (pass at least `SNIFF_BYTES`, or the
 * whole file if shorter). Never throws.
 */
export function sniffFormat(bytes: Uint8Array): SniffResult {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { kind: 'supported', format: 'jpeg' };
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG\r\n\x1a\n')) return { kind: 'supported', format: 'png' };
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return { kind: 'supported', format: 'gif' };
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return { kind: 'supported', format: 'webp' };
  // Classic TIFF (42) and BigTIFF (43), both byte orders.
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && (b[2] === 42 || b[2] === 43) && b[3] === 0) ||
    (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43)))) {
    return { kind: 'supported', format: 'tiff' };
  }
  const iso = sniffIsoBmff(b);
  if (iso) return iso;
  if (ascii(b, 0, 'BM') && b.length >= 14) return { kind: 'unsupported', format: 'BMP' };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return { kind: 'unsupported', format: 'ICO' };
  if (ascii(b, 0, '8BPS')) return { kind: 'unsupported', format: 'Photoshop (PSD)' };
  if (ascii(b, 0, '%PDF')) return { kind: 'unsupported', format: 'PDF' };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0x0a) return { kind: 'unsupported', format: 'JPEG XL' };
  if (ascii(b, 4, 'jP  ') || ascii(b, 4, 'JXL ')) return { kind: 'unsupported', format: b[5] === 0x50 ? 'JPEG 2000' : 'JPEG XL' };
  const head = Buffer.from(b.subarray(0, SNIFF_BYTES)).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return { kind: 'unsupported', format: 'SVG' };
  return { kind: 'unknown' };
}

/** A user-facing sentence for a file that is not a supported image, from its sniff result. */
export function describeNotImage(sniff: SniffResult): string {
  const accepted = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';
  if (sniff.kind === 'unsupported') {
    return `it is a ${sniff.format} file, which is not supported. Convert it to ${accepted}, or remove it`;
  }
  return `it is not an image (its content is not ${accepted}, whatever its extension says). Remove it or replace it with an image`;
}
