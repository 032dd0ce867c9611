// Renders resources/icon.svg to resources/icon.png (512×512, what electron-builder converts
// to .icns/.ico and uses on Linux). Run once after editing the SVG: node resources/make-icon.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.dirname(fileURLToPath(import.meta.url));
const info = await sharp(path.join(dir, 'icon.svg'))
  .resize(512, 512)
  .png({ compressionLevel: 9, palette: true, quality: 90 })
  .toFile(path.join(dir, 'icon.png'));
console.log(`resources/icon.png: ${info.width}×${info.height}, ${info.size} bytes`);
