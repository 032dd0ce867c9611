/**
 * Lays out a visible graph with dagre (top to bottom, input at the top). Pure: no DOM, so
 * it runs in a Web Worker, on the main thread as a fallback, and in Node tests.
 */
import { graphlib, layout as dagreLayout } from '@dagrejs/dagre';
import { formatParams, formatShape } from './format.js';
import type { VisibleGraph, VisibleNode } from './model.js';

export type Point = { x: number; y: number };

/** A placed box; `x`, `y` are its centre (world units = CSS pixels at zoom 1). */
export type LayoutBox = { id: string; x: number; y: number; width: number; height: number };

/** A routed edge with the point where its shape label goes. */
export type LayoutEdge = { id: string; from: string; to: string; points: Point[]; label: string; labelAt: Point };

/** A frame around an expanded group's members. */
export type LayoutCluster = LayoutBox & { label: string; depth: number };

export type GraphLayout = {
  nodes: Record<string, LayoutBox>;
  edges: LayoutEdge[];
  /** Outer frames first, so inner ones draw on top. */
  clusters: LayoutCluster[];
  width: number;
  height: number;
  /**
   * How it was laid out: `dagre-compound` (groups as frames dagre keeps apart), `dagre`
   * (flat, frames drawn around members afterwards) or `layered` (the fast layout for very
   * large graphs: longest-path ranks, barycentre ordering, straight edges).
   */
  engine: 'dagre-compound' | 'dagre' | 'layered';
};

export type LayoutOptions = {
  /** `TB` (default) or `LR` (dagre only; the fast layout is always top to bottom). */
  rankdir?: 'TB' | 'LR';
  /** Most boxes for dagre's compound layout (default 200; it is several times slower). */
  maxCompound?: number;
  /** Most boxes for dagre at all (default 1000; above it, and if dagre fails, the fast layout). */
  maxDagre?: number;
};

/** Box height in world units. */
export const NODE_HEIGHT = 50;
const MIN_WIDTH = 110;
const MAX_WIDTH = 300;
/** Approximate glyph widths (px) of the box's three lines: bold 12px title, 10.5px kind, 10px mono detail. */
export const TITLE_CHAR_PX = 7.3;
export const KIND_CHAR_PX = 6.2;
export const DETAIL_CHAR_PX = 6.1;

/** How many characters of each line fit in a box `widthPx` wide (title, kind, detail). */
export function lineCapacity(widthPx: number): [number, number, number] {
  const inner = widthPx - 16;
  return [Math.floor(inner / TITLE_CHAR_PX), Math.floor(inner / KIND_CHAR_PX), Math.floor(inner / DETAIL_CHAR_PX)];
}

/** The text lines a box shows: title, then op/kind, then `shape · params`. */
export function nodeLines(node: VisibleNode): [string, string, string] {
  const kind = node.kind === 'group' ? `${node.nodeCount} nodes` : node.op;
  const shape = node.outputShape ? formatShape(node.outputShape) : '';
  const params = node.params > 0 ? `${formatParams(node.params)} params` : '';
  return [node.label, kind, [shape, params].filter(Boolean).join(' · ')];
}

/** A box's size from its text (estimated: layout runs without a DOM to measure). */
export function nodeSize(node: VisibleNode): { width: number; height: number } {
  const [title, kind, detail] = nodeLines(node);
  const textPx = Math.max(title.length * TITLE_CHAR_PX, kind.length * KIND_CHAR_PX, detail.length * DETAIL_CHAR_PX);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(textPx + 20)));
  return { width, height: NODE_HEIGHT };
}

const CLUSTER_PREFIX = 'cluster:';

/**
 * Positions every box, routes every edge and frames expanded groups. Deterministic for the
 * same input. dagre's compound layout for small graphs with groups, flat dagre up to
 * `maxDagre` boxes, and a linear-time layered layout beyond (dagre recurses per node and
 * overflows the stack on chains of a few thousand). Measured on a loaded 2-core machine:
 * 140 boxes ≈ 0.2 s flat / 1.4 s compound, 500 ≈ 0.3 s, 1500 ≈ 4 s with dagre; the layered
 * layout does 3000 in well under a second. Run it in the worker (see `layout-client.ts`).
 */
export function layoutGraph(visible: VisibleGraph, options: LayoutOptions = {}): GraphLayout {
  const count = visible.nodes.length;
  const rankdir = options.rankdir ?? 'TB';
  if (visible.clusters.length > 0 && count <= (options.maxCompound ?? 200)) {
    try {
      return runDagre(visible, rankdir, true);
    } catch {
      // dagre's compound layout can fail on unusual nestings; fall through to flat.
    }
  }
  if (count <= (options.maxDagre ?? 1000)) {
    try {
      return runDagre(visible, rankdir, false);
    } catch {
      // e.g. RangeError (stack) on very long chains: the layered layout never recurses.
    }
  }
  return layeredLayout(visible);
}

function runDagre(visible: VisibleGraph, rankdir: 'TB' | 'LR', compound: boolean): GraphLayout {
  const g = new graphlib.Graph({ compound, multigraph: false });
  g.setGraph({ rankdir, nodesep: 22, ranksep: 34, edgesep: 10, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));

  for (const node of visible.nodes) g.setNode(node.id, nodeSize(node));
  if (compound) {
    for (const c of visible.clusters) g.setNode(CLUSTER_PREFIX + c.id, { label: c.label, paddingTop: 22 });
    for (const c of visible.clusters) if (c.parent && visible.clusters.some((p) => p.id === c.parent)) g.setParent(CLUSTER_PREFIX + c.id, CLUSTER_PREFIX + c.parent);
    for (const node of visible.nodes) if (node.cluster) g.setParent(node.id, CLUSTER_PREFIX + node.cluster);
  }
  for (const e of visible.edges) g.setEdge(e.from, e.to, { weight: 1 });

  dagreLayout(g);

  const nodes: Record<string, LayoutBox> = {};
  let maxX = 0;
  let maxY = 0;
  for (const node of visible.nodes) {
    const n = g.node(node.id) as { x: number; y: number; width: number; height: number };
    nodes[node.id] = { id: node.id, x: n.x, y: n.y, width: n.width, height: n.height };
    maxX = Math.max(maxX, n.x + n.width / 2);
    maxY = Math.max(maxY, n.y + n.height / 2);
  }

  const clusters: LayoutCluster[] = [];
  if (compound) {
    const depthOf = new Map<string, number>();
    const depth = (id: string): number => {
      if (depthOf.has(id)) return depthOf.get(id)!;
      const parent = visible.clusters.find((c) => c.id === id)?.parent;
      const d = parent && visible.clusters.some((c) => c.id === parent) ? depth(parent) + 1 : 0;
      depthOf.set(id, d);
      return d;
    };
    for (const c of visible.clusters) {
      const n = g.node(CLUSTER_PREFIX + c.id) as { x?: number; y?: number; width?: number; height?: number } | undefined;
      if (!n || n.x === undefined || n.y === undefined || !n.width || !n.height) continue;
      if (![n.x, n.y, n.width, n.height].every(Number.isFinite)) throw new Error('dagre produced a non-finite cluster');
      clusters.push({ id: c.id, label: c.label, x: n.x, y: n.y, width: n.width, height: n.height, depth: depth(c.id) });
      maxX = Math.max(maxX, n.x + n.width / 2);
      maxY = Math.max(maxY, n.y + n.height / 2);
    }
    clusters.sort((a, b) => a.depth - b.depth);
  }

  const edges: LayoutEdge[] = visible.edges.map((e) => {
    const routed = (g.edge(e.from, e.to) as { points?: Point[] } | undefined)?.points ?? [];
    const points = routed.length >= 2 && routed.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) ? routed : [nodes[e.from], nodes[e.to]].map((b) => ({ x: b.x, y: b.y }));
    for (const p of points) {
      maxX = Math.max(maxX, p.x);
      maxY = Math.max(maxY, p.y);
    }
    const shape = e.shape ? formatShape(e.shape) : '';
    const label = e.count > 1 ? `${shape}${shape ? ' ' : ''}×${e.count}` : shape;
    return { id: e.id, from: e.from, to: e.to, points, label, labelAt: midpoint(points) };
  });

  for (const box of Object.values(nodes)) {
    if (![box.x, box.y].every(Number.isFinite)) throw new Error(`dagre produced a non-finite position for ${box.id}`);
  }
  if (!compound) clusters.push(...frameClusters(visible, nodes));
  for (const c of clusters) {
    maxX = Math.max(maxX, c.x + c.width / 2);
    maxY = Math.max(maxY, c.y + c.height / 2);
  }
  return { nodes, edges, clusters, width: Math.ceil(maxX + 24), height: Math.ceil(maxY + 24), engine: compound ? 'dagre-compound' : 'dagre' };
}

/** Frames drawn around each expanded group's laid-out members (for layouts that ignore groups). */
function frameClusters(visible: VisibleGraph, nodes: Record<string, LayoutBox>): LayoutCluster[] {
  const byId = new Map(visible.clusters.map((c) => [c.id, c]));
  const depth = (id: string): number => {
    let d = 0;
    for (let p = byId.get(id)?.parent; p && byId.has(p) && d < 64; p = byId.get(p)?.parent) d++;
    return d;
  };
  const bounds = new Map<string, { left: number; top: number; right: number; bottom: number }>();
  for (const n of visible.nodes) {
    const box = nodes[n.id];
    if (!box) continue;
    for (let c = n.cluster; c && byId.has(c); c = byId.get(c)?.parent) {
      const b = bounds.get(c) ?? { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
      b.left = Math.min(b.left, box.x - box.width / 2);
      b.right = Math.max(b.right, box.x + box.width / 2);
      b.top = Math.min(b.top, box.y - box.height / 2);
      b.bottom = Math.max(b.bottom, box.y + box.height / 2);
      bounds.set(c, b);
    }
  }
  const out: LayoutCluster[] = [];
  for (const c of visible.clusters) {
    const b = bounds.get(c.id);
    if (!b) continue;
    // Outer frames get more padding so nested frames stay visible inside them.
    const d = depth(c.id);
    const pad = 10 + Math.max(0, 4 - d) * 4;
    const left = b.left - pad;
    const right = b.right + pad;
    const top = b.top - pad - 16;
    const bottom = b.bottom + pad;
    out.push({ id: c.id, label: c.label, depth: d, x: (left + right) / 2, y: (top + bottom) / 2, width: right - left, height: bottom - top });
  }
  return out.sort((a, b) => a.depth - b.depth);
}

const LAYER_GAP = 40;
const NODE_GAP = 24;

/**
 * A linear-time layered layout for very large graphs: ranks by longest path from the
 * sources (Kahn's order; edges closing a cycle are ignored for ranking), two barycentre
 * sweeps to order each rank, boxes pulled under their parents without overlapping, straight
 * edges. Never recurses, so any size works.
 */
export function layeredLayout(visible: VisibleGraph): GraphLayout {
  const ids = visible.nodes.map((n) => n.id);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  for (const e of visible.edges) {
    const a = indexOf.get(e.from);
    const b = indexOf.get(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    preds[b].push(a);
    succs[a].push(b);
  }

  // Kahn's topological order; leftover nodes (cycles) follow in graph order.
  const indegree = preds.map((p) => p.length);
  const order: number[] = [];
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  const done = new Uint8Array(n);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    done[v] = 1;
    order.push(v);
    for (const w of succs[v]) if (--indegree[w] === 0) queue.push(w);
  }
  for (let i = 0; i < n; i++) if (!done[i]) order.push(i);
  const position = new Int32Array(n);
  order.forEach((v, i) => (position[v] = i));

  const rank = new Int32Array(n);
  for (const v of order) for (const u of preds[v]) if (position[u] < position[v]) rank[v] = Math.max(rank[v], rank[u] + 1);
  const rankCount = n === 0 ? 0 : Math.max(...rank) + 1;
  const layers: number[][] = Array.from({ length: rankCount }, () => []);
  for (const v of order) layers[rank[v]].push(v);

  // Barycentre ordering: down then up.
  const slot = new Float64Array(n);
  const renumber = (layer: number[]) => layer.forEach((v, i) => (slot[v] = i));
  layers.forEach(renumber);
  const sweep = (neighbours: number[][], from: number, to: number, step: number) => {
    for (let r = from; r !== to; r += step) {
      const layer = layers[r];
      const key = new Map<number, number>();
      for (const v of layer) {
        const adj = neighbours[v].filter((u) => rank[u] !== r);
        key.set(v, adj.length ? adj.reduce((s, u) => s + slot[u], 0) / adj.length : slot[v]);
      }
      layer.sort((a, b) => key.get(a)! - key.get(b)! || a - b);
      renumber(layer);
    }
  };
  sweep(preds, 1, rankCount, 1);
  sweep(succs, rankCount - 2, -1, -1);

  const sizes = visible.nodes.map((node) => nodeSize(node));
  const x = new Float64Array(n);
  const nodes: Record<string, LayoutBox> = {};
  let minX = Infinity;
  let maxX = -Infinity;
  layers.forEach((layer, r) => {
    const desired = layer.map((v) => {
      const ps = preds[v].filter((u) => rank[u] < r);
      return ps.length ? ps.reduce((s, u) => s + x[u], 0) / ps.length : 0;
    });
    // Left to right, no overlaps, then shift so the layer sits on average where it wants to.
    let cursor = -Infinity;
    let offset = 0;
    layer.forEach((v, i) => {
      const half = sizes[v].width / 2;
      const at = Math.max(desired[i], cursor + half);
      x[v] = at;
      cursor = at + half + NODE_GAP;
      offset += desired[i] - at;
    });
    offset /= Math.max(1, layer.length);
    for (const v of layer) {
      x[v] += offset;
      minX = Math.min(minX, x[v] - sizes[v].width / 2);
      maxX = Math.max(maxX, x[v] + sizes[v].width / 2);
    }
  });
  const margin = 24;
  const shiftX = n ? margin - minX : 0;
  for (let v = 0; v < n; v++) {
    nodes[ids[v]] = { id: ids[v], x: x[v] + shiftX, y: margin + rank[v] * (NODE_HEIGHT + LAYER_GAP) + NODE_HEIGHT / 2, width: sizes[v].width, height: NODE_HEIGHT };
  }
  const edges: LayoutEdge[] = visible.edges.map((e) => {
    const a = nodes[e.from];
    const b = nodes[e.to];
    const down = b.y >= a.y;
    const points = [{ x: a.x, y: a.y + (down ? 1 : -1) * (a.height / 2) }, { x: b.x, y: b.y - (down ? 1 : -1) * (b.height / 2) }];
    const shape = e.shape ? formatShape(e.shape) : '';
    const label = e.count > 1 ? `${shape}${shape ? ' ' : ''}×${e.count}` : shape;
    return { id: e.id, from: e.from, to: e.to, points, label, labelAt: midpoint(points) };
  });
  const clusters = frameClusters(visible, nodes);
  let width = n ? maxX - minX + 2 * margin : 0;
  let height = margin * 2 + rankCount * (NODE_HEIGHT + LAYER_GAP);
  for (const c of clusters) {
    width = Math.max(width, c.x + c.width / 2 + margin);
    height = Math.max(height, c.y + c.height / 2 + margin);
  }
  return { nodes, edges, clusters, width: Math.ceil(width), height: Math.ceil(height), engine: 'layered' };
}

/** The point halfway along a polyline (by length). */
export function midpoint(points: Point[]): Point {
  if (points.length === 0) return { x: 0, y: 0 };
  if (points.length === 1) return points[0];
  const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i].x, p.y - points[i].y));
  let half = lengths.reduce((a, b) => a + b, 0) / 2;
  for (let i = 0; i < lengths.length; i++) {
    if (half <= lengths[i] && lengths[i] > 0) {
      const t = half / lengths[i];
      return { x: points[i].x + (points[i + 1].x - points[i].x) * t, y: points[i].y + (points[i + 1].y - points[i].y) * t };
    }
    half -= lengths[i];
  }
  return points[points.length - 1];
}
