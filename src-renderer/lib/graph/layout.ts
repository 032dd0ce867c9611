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
  /** Whether nested groups were laid out as frames (false after a fallback to a flat layout). */
  compound: boolean;
};

export type LayoutOptions = {
  /** `TB` (default) or `LR`. */
  rankdir?: 'TB' | 'LR';
  /** Draw expanded groups as frames (default true); falls back to flat if dagre fails. */
  compound?: boolean;
};

/** Box height in world units. */
export const NODE_HEIGHT = 50;
const CHAR_WIDTH = 6.6;
const MIN_WIDTH = 110;
const MAX_WIDTH = 280;

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
  const chars = Math.max(title.length * 1.08, kind.length, detail.length);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(chars * CHAR_WIDTH + 24)));
  return { width, height: NODE_HEIGHT };
}

const CLUSTER_PREFIX = 'cluster:';

/**
 * Positions every box, routes every edge and frames expanded groups. Deterministic for the
 * same input. Takes ~O(n log n)-ish time in dagre: a few hundred boxes take tens of ms, a few
 * thousand a few seconds (run it in the worker, see `layout-client.ts`).
 */
export function layoutGraph(visible: VisibleGraph, options: LayoutOptions = {}): GraphLayout {
  const compound = options.compound !== false && visible.clusters.length > 0;
  if (compound) {
    try {
      return runDagre(visible, options.rankdir ?? 'TB', true);
    } catch {
      // dagre's compound layout can fail on unusual nestings; a flat layout always works.
    }
  }
  return runDagre(visible, options.rankdir ?? 'TB', false);
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
    const points = routed.length >= 2 ? routed : [nodes[e.from], nodes[e.to]].map((b) => ({ x: b.x, y: b.y }));
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
  return { nodes, edges, clusters, width: Math.ceil(maxX + 24), height: Math.ceil(maxY + 24), compound };
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
