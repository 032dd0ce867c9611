/**
 * Pan/zoom maths and culling for the graph canvas. Screen = world × scale + (x, y).
 * Pure: no DOM.
 */
import type { GraphLayout, LayoutBox, LayoutCluster, LayoutEdge, Point } from './layout.js';

export type Viewport = { x: number; y: number; scale: number };
export type Size = { width: number; height: number };
export type Rect = { left: number; top: number; right: number; bottom: number };

/** Zoom limits (scale factors). */
export const MIN_SCALE = 0.004;
export const MAX_SCALE = 4;

const clampScale = (s: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));

/**
 * The viewport that shows all of `content` centred in `screen` with `paddingPx` around it,
 * never zooming in past `maxScale` (default 1, so small graphs are not blown up).
 */
export function fitViewport(content: Size, screen: Size, paddingPx = 24, maxScale = 1): Viewport {
  const w = Math.max(1, screen.width - 2 * paddingPx);
  const h = Math.max(1, screen.height - 2 * paddingPx);
  const scale = clampScale(Math.min(maxScale, w / Math.max(1, content.width), h / Math.max(1, content.height)));
  return { scale, x: (screen.width - content.width * scale) / 2, y: (screen.height - content.height * scale) / 2 };
}

/** Zooms by `factor` keeping the world point under `screenPoint` where it is. */
export function zoomAt(v: Viewport, factor: number, screenPoint: Point): Viewport {
  const scale = clampScale(v.scale * factor);
  const k = scale / v.scale;
  return { scale, x: screenPoint.x - (screenPoint.x - v.x) * k, y: screenPoint.y - (screenPoint.y - v.y) * k };
}

/** Moves the view so world point `p` is at the centre of `screen`; optionally sets the scale. */
export function centerOn(v: Viewport, p: Point, screen: Size, scale = v.scale): Viewport {
  const s = clampScale(scale);
  return { scale: s, x: screen.width / 2 - p.x * s, y: screen.height / 2 - p.y * s };
}

/** The world rectangle visible on `screen`, grown by `marginPx` screen pixels on each side. */
export function visibleWorldRect(v: Viewport, screen: Size, marginPx = 0): Rect {
  return {
    left: (-marginPx - v.x) / v.scale,
    top: (-marginPx - v.y) / v.scale,
    right: (screen.width + marginPx - v.x) / v.scale,
    bottom: (screen.height + marginPx - v.y) / v.scale,
  };
}

/** World point under a screen point. */
export function toWorld(v: Viewport, p: Point): Point {
  return { x: (p.x - v.x) / v.scale, y: (p.y - v.y) / v.scale };
}

function boxIntersects(b: LayoutBox, r: Rect): boolean {
  return b.x + b.width / 2 >= r.left && b.x - b.width / 2 <= r.right && b.y + b.height / 2 >= r.top && b.y - b.height / 2 <= r.bottom;
}

function edgeIntersects(e: LayoutEdge, r: Rect): boolean {
  let left = Infinity;
  let right = -Infinity;
  let top = Infinity;
  let bottom = -Infinity;
  for (const p of e.points) {
    left = Math.min(left, p.x);
    right = Math.max(right, p.x);
    top = Math.min(top, p.y);
    bottom = Math.max(bottom, p.y);
  }
  return right >= r.left && left <= r.right && bottom >= r.top && top <= r.bottom;
}

/** What intersects the visible rectangle: only these get DOM elements. */
export type Culled = { nodes: LayoutBox[]; edges: LayoutEdge[]; clusters: LayoutCluster[] };

/** Keeps the boxes, edges (by bounding box) and frames that intersect `rect`. Linear time. */
export function cull(layout: GraphLayout, rect: Rect): Culled {
  return {
    nodes: Object.values(layout.nodes).filter((b) => boxIntersects(b, rect)),
    edges: layout.edges.filter((e) => edgeIntersects(e, rect)),
    clusters: layout.clusters.filter((c) => boxIntersects(c, rect)),
  };
}

/**
 * How much detail to draw at a zoom level: `full` (labels and edge shapes), `labels`
 * (box titles only), `boxes` (plain rectangles, for thousands of tiny nodes).
 */
export function detailLevel(scale: number): 'full' | 'labels' | 'boxes' {
  if (scale >= 0.55) return 'full';
  if (scale >= 0.22) return 'labels';
  return 'boxes';
}

/** An SVG path through `points`: straight segments, rounded a little at the corners. */
export function edgePath(points: Point[]): string {
  if (points.length === 0) return '';
  const r = (n: number) => Math.round(n * 10) / 10;
  if (points.length === 2 || points.length === 1) return `M${points.map((p) => `${r(p.x)},${r(p.y)}`).join('L')}`;
  // dagre gives control points; a Catmull-Rom-ish quadratic smoothing through midpoints reads well.
  let d = `M${r(points[0].x)},${r(points[0].y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    d += `Q${r(points[i].x)},${r(points[i].y)} ${r(mid.x)},${r(mid.y)}`;
  }
  const last = points[points.length - 1];
  return `${d}L${r(last.x)},${r(last.y)}`;
}
