/**
 * A standalone SVG picture of a laid-out graph (for "Export SVG/PNG"): every box, edge and
 * frame with explicit colours, so it looks the same outside the app. Pure string building.
 */
import { lineCapacity, nodeLines, type GraphLayout } from './layout.js';
import type { NodeRole, VisibleGraph } from './model.js';
import { edgePath } from './viewport.js';

/** Colours of the exported picture (a light theme by default). */
export type SvgPalette = {
  background: string;
  nodeFill: string;
  nodeStroke: string;
  groupFill: string;
  clusterFill: string;
  clusterStroke: string;
  text: string;
  muted: string;
  edge: string;
  roles: Record<NodeRole, string>;
};

export const LIGHT_PALETTE: SvgPalette = {
  background: '#ffffff',
  nodeFill: '#ffffff',
  nodeStroke: '#9aa3b5',
  groupFill: '#eef2fb',
  clusterFill: 'rgba(59,111,216,0.04)',
  clusterStroke: '#c5cde0',
  text: '#1b1f27',
  muted: '#5c6474',
  edge: '#8a93a6',
  roles: { input: '#1f8a4c', bottleneck: '#b25e00', output: '#7b3fd0' },
};

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Shortens text to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The whole graph as an SVG document string (`width`×`height` = the layout's size, in
 * px at zoom 1), with a title. Input, bottleneck and output boxes get thick coloured
 * borders and a role tag; collapsed groups a tinted fill; edges their shape labels.
 */
export function graphToSvg(layout: GraphLayout, visible: VisibleGraph, options: { title?: string; palette?: SvgPalette } = {}): string {
  const p = options.palette ?? LIGHT_PALETTE;
  const byId = new Map(visible.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  const w = Math.max(1, Math.ceil(layout.width));
  const h = Math.max(1, Math.ceil(layout.height));
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif">`);
  if (options.title) out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${p.edge}"/></marker></defs>`);
  out.push(`<rect width="100%" height="100%" fill="${p.background}"/>`);

  for (const c of layout.clusters) {
    const x = c.x - c.width / 2;
    const y = c.y - c.height / 2;
    out.push(`<g class="cluster"><rect x="${r1(x)}" y="${r1(y)}" width="${r1(c.width)}" height="${r1(c.height)}" rx="8" fill="${p.clusterFill}" stroke="${p.clusterStroke}" stroke-dasharray="4 3"/>`
      + `<text x="${r1(x + 8)}" y="${r1(y + 14)}" font-size="11" fill="${p.muted}">${escapeXml(truncate(c.label, Math.max(4, Math.floor(c.width / 6.5))))}</text></g>`);
  }
  for (const e of layout.edges) {
    out.push(`<path d="${edgePath(e.points)}" fill="none" stroke="${p.edge}" stroke-width="1.2" marker-end="url(#arrow)"/>`);
    if (e.label) out.push(`<text x="${r1(e.labelAt.x + 6)}" y="${r1(e.labelAt.y + 3)}" font-size="10" fill="${p.muted}">${escapeXml(e.label)}</text>`);
  }
  for (const box of Object.values(layout.nodes)) {
    const node = byId.get(box.id);
    if (!node) continue;
    const role = node.roles[0];
    const stroke = role ? p.roles[role] : p.nodeStroke;
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const [title, kind, detail] = nodeLines(node);
    const [titleChars, kindChars, detailChars] = lineCapacity(box.width);
    out.push(`<g class="node"><rect x="${r1(x)}" y="${r1(y)}" width="${r1(box.width)}" height="${r1(box.height)}" rx="${node.kind === 'group' ? 10 : 6}" fill="${node.kind === 'group' ? p.groupFill : p.nodeFill}" stroke="${stroke}" stroke-width="${role ? 3 : 1}"/>`
      + `<text x="${r1(x + 8)}" y="${r1(y + 16)}" font-size="12" font-weight="600" fill="${p.text}">${escapeXml(truncate(title, titleChars))}</text>`
      + `<text x="${r1(x + 8)}" y="${r1(y + 30)}" font-size="10.5" fill="${p.muted}">${escapeXml(truncate(kind, kindChars))}</text>`
      + (detail ? `<text x="${r1(x + 8)}" y="${r1(y + 43)}" font-size="10" fill="${p.muted}">${escapeXml(truncate(detail, detailChars))}</text>` : '')
      + (role ? `<text x="${r1(x + box.width - 6)}" y="${r1(y - 4)}" font-size="10" font-weight="700" text-anchor="end" fill="${stroke}">${node.roles.join(' · ').toUpperCase()}</text>` : '')
      + '</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * The scale for a PNG of a `width`×`height` picture: `preferred` (default 2, sharp on HiDPI)
 * reduced so neither side exceeds `maxSidePx` (16384, the browsers' canvas limit) and the
 * area stays under `maxPixels` (64 M, ≈ 256 MB of RGBA).
 */
export function pngScale(width: number, height: number, preferred = 2, maxSidePx = 16384, maxPixels = 64e6): number {
  const bySide = maxSidePx / Math.max(1, width, height);
  const byArea = Math.sqrt(maxPixels / Math.max(1, width * height));
  return Math.max(0.01, Math.min(preferred, bySide, byArea));
}
