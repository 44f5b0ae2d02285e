/**
 * Draws the app icons (a white check mark on the brand navy) as PNGs with node:zlib only, so the
 * repository needs no image tools. Run: `npx tsx device-app/scripts/make-icons.ts`.
 * The output is committed under device-app/public/icons/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
const NAVY: RGB = [15, 59, 95];
const WHITE: RGB = [255, 255, 255];
type RGB = readonly [number, number, number];

/** One icon: size in px, corner radius and mark scale as fractions of the size. */
interface IconSpec {
  readonly file: string;
  readonly size: number;
  readonly radius: number;
  readonly scale: number;
}

const ICONS: IconSpec[] = [
  { file: 'icon-192.png', size: 192, radius: 0.22, scale: 1 },
  { file: 'icon-512.png', size: 512, radius: 0.22, scale: 1 },
  // Maskable: full bleed, mark inside the 80% safe zone.
  { file: 'icon-maskable-512.png', size: 512, radius: 0, scale: 0.78 },
  // iOS rounds the corners itself.
  { file: 'apple-touch-icon.png', size: 180, radius: 0, scale: 0.9 },
];

/** Distance from point p to segment ab. */
function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax,
    dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Coverage of the icon shapes at (x, y) in unit coordinates: [inside background, inside mark]. */
function shapes(x: number, y: number, spec: IconSpec): [boolean, boolean] {
  const r = spec.radius;
  const cx = Math.min(Math.max(x, r), 1 - r),
    cy = Math.min(Math.max(y, r), 1 - r);
  const inBg = r === 0 || Math.hypot(x - cx, y - cy) <= r;
  // Check mark, centred, scaled around the middle.
  const s = spec.scale;
  const m = (v: number) => 0.5 + (v - 0.5) * s;
  const w = 0.055 * s;
  const d = Math.min(segDist(x, y, m(0.28), m(0.53), m(0.44), m(0.68)), segDist(x, y, m(0.44), m(0.68), m(0.73), m(0.34)));
  return [inBg, inBg && d <= w];
}

function render(spec: IconSpec): Buffer {
  const { size } = spec;
  const SS = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let bg = 0,
        mark = 0;
      for (let sy = 0; sy < SS; sy++)
        for (let sx = 0; sx < SS; sx++) {
          const [b, m] = shapes((px + (sx + 0.5) / SS) / size, (py + (sy + 0.5) / SS) / size, spec);
          if (b) bg++;
          if (m) mark++;
        }
      const a = bg / (SS * SS),
        f = bg ? mark / bg : 0;
      const o = py * (size * 4 + 1) + 1 + px * 4;
      for (let c = 0; c < 3; c++) raw[o + c] = Math.round(NAVY[c]! * (1 - f) + WHITE[c]! * f);
      raw[o + 3] = Math.round(a * 255);
    }
  }
  return png(size, size, raw);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(width: number, height: number, raw: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(6, 9); // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
for (const spec of ICONS) {
  const file = join(OUT, spec.file);
  writeFileSync(file, render(spec));
  console.log(`wrote ${file}`);
}
