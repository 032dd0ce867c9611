/**
 * The model graph as the viewer shows it: nested groups (MobileNet `block_N`, Inception
 * `mixedN`, nested Keras models) collapse into single boxes, and what is left is the
 * visible graph that gets laid out. Pure data functions: no DOM, no Svelte.
 */
import type { GraphNode, ModelGraph } from '../../../src-main/api/contract.js';

/** The three nodes the viewer always points out. */
export type NodeRole = 'input' | 'bottleneck' | 'output';

/** A group with its place in the hierarchy and what it holds. */
export type GroupInfo = {
  id: string;
  label: string;
  parent?: string;
  /** 0 for a top-level group. */
  depth: number;
  childGroups: string[];
  /** Nodes directly in this group (not in a child group). */
  nodeIds: string[];
  /** Every node in this group and its descendants. */
  nodeCount: number;
  params: number;
};

/** A graph with lookups built once; every other function here takes it. */
export type GraphIndex = {
  graph: ModelGraph;
  nodeById: Map<string, GraphNode>;
  /** Node ids in graph order (layout and search keep this order). */
  order: Map<string, number>;
  groupById: Map<string, GroupInfo>;
  /** Groups from outermost to innermost for each node id (empty when ungrouped). */
  ancestors: Map<string, string[]>;
  /** Node id playing each role, when the graph has such a node. */
  roles: Partial<Record<NodeRole, string>>;
  /** Roles of each node id. */
  rolesOf: Map<string, NodeRole[]>;
};

/** Prefix of a collapsed group's box id, so a group never collides with a node of the same name. */
export const GROUP_BOX_PREFIX = 'group:';

/** The box id of a collapsed group. */
export function groupBoxId(groupId: string): string {
  return GROUP_BOX_PREFIX + groupId;
}

/** A box on screen: a real node, or a collapsed group standing for its nodes. */
export type VisibleNode = {
  /** The node's id, or `group:<group id>` for a collapsed group. */
  id: string;
  /** The node's or the group's own id. */
  ref: string;
  kind: 'node' | 'group';
  label: string;
  /** Layer/op type, or `group` for a collapsed group. */
  op: string;
  outputShape: (number | null)[] | null;
  params: number;
  /** Nodes hidden inside (1 for a real node). */
  nodeCount: number;
  /** The roles of this node, or of the nodes a collapsed group hides. */
  roles: NodeRole[];
  /** The innermost expanded group drawn around this box, if any. */
  cluster?: string;
};

/** An edge between visible boxes; parallel edges merged (`count`). */
export type VisibleEdge = {
  id: string;
  from: string;
  to: string;
  shape: (number | null)[] | null;
  count: number;
};

/** An expanded group drawn as a frame around its visible members. */
export type VisibleCluster = { id: string; label: string; parent?: string; nodeCount: number };

/** What gets laid out and drawn. Plain JSON (it crosses to the layout worker). */
export type VisibleGraph = { nodes: VisibleNode[]; edges: VisibleEdge[]; clusters: VisibleCluster[] };

/** Above this many nodes a graph opens with its groups collapsed. */
export const DEFAULT_MAX_VISIBLE = 120;

/** Finds the node a role's name refers to: by id, then by name, then by `…/name` suffix. */
function findNode(graph: ModelGraph, name: string | undefined): string | undefined {
  if (!name) return undefined;
  const byId = graph.nodes.find((n) => n.id === name);
  if (byId) return byId.id;
  const byName = graph.nodes.find((n) => n.name === name);
  if (byName) return byName.id;
  return graph.nodes.find((n) => n.id.endsWith(`/${name}`) || n.name.endsWith(`/${name}`))?.id;
}

/**
 * Builds the lookups for a graph. Groups that nodes mention but the graph does not list
 * are created; a parent that does not exist (or a parent cycle) makes a group top-level.
 */
export function indexGraph(graph: ModelGraph): GraphIndex {
  const nodeById = new Map<string, GraphNode>();
  const order = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    nodeById.set(n.id, n);
    order.set(n.id, i);
  });

  const declared = new Map<string, { id: string; label: string; parent?: string }>();
  for (const g of graph.groups) declared.set(g.id, g);
  for (const n of graph.nodes) if (n.group && !declared.has(n.group)) declared.set(n.group, { id: n.group, label: n.group });

  const groupById = new Map<string, GroupInfo>();
  for (const g of declared.values()) {
    groupById.set(g.id, { id: g.id, label: g.label || g.id, parent: undefined, depth: 0, childGroups: [], nodeIds: [], nodeCount: 0, params: 0 });
  }
  // Resolve parents, refusing cycles and dangling references.
  for (const g of declared.values()) {
    let parent = g.parent && groupById.has(g.parent) && g.parent !== g.id ? g.parent : undefined;
    const seen = new Set([g.id]);
    for (let p = parent; p; p = declared.get(p)?.parent) {
      if (seen.has(p)) {
        parent = undefined;
        break;
      }
      seen.add(p);
    }
    if (parent) {
      groupById.get(g.id)!.parent = parent;
      groupById.get(parent)!.childGroups.push(g.id);
    }
  }

  const chainOf = new Map<string, string[]>();
  const chain = (groupId: string): string[] => {
    const cached = chainOf.get(groupId);
    if (cached) return cached;
    const g = groupById.get(groupId)!;
    const result = g.parent ? [...chain(g.parent), groupId] : [groupId];
    chainOf.set(groupId, result);
    return result;
  };
  for (const g of groupById.values()) g.depth = chain(g.id).length - 1;

  const ancestors = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const list = n.group ? chain(n.group) : [];
    ancestors.set(n.id, list);
    if (n.group) groupById.get(n.group)!.nodeIds.push(n.id);
    for (const gid of list) {
      const g = groupById.get(gid)!;
      g.nodeCount += 1;
      g.params += n.params;
    }
  }

  const roles: Partial<Record<NodeRole, string>> = {};
  const rolesOf = new Map<string, NodeRole[]>();
  const assign = (role: NodeRole, id: string | undefined) => {
    if (!id) return;
    roles[role] = id;
    rolesOf.set(id, [...(rolesOf.get(id) ?? []), role]);
  };
  assign('input', findNode(graph, graph.input?.name));
  assign('bottleneck', findNode(graph, graph.bottleneck?.name));
  assign('output', findNode(graph, graph.output?.name));

  return { graph, nodeById, order, groupById, ancestors, roles, rolesOf };
}

/**
 * The id of the outermost collapsed group around a node, or the node's own id when all its
 * groups are expanded.
 */
export function representative(index: GraphIndex, nodeId: string, expanded: ReadonlySet<string>): string {
  for (const gid of index.ancestors.get(nodeId) ?? []) if (!expanded.has(gid)) return gid;
  return nodeId;
}

/** The id of the box a node is drawn in: its own id, or `group:<id>` of a collapsed group. */
export function boxOf(index: GraphIndex, nodeId: string, expanded: ReadonlySet<string>): string {
  const rep = representative(index, nodeId, expanded);
  return rep === nodeId ? nodeId : groupBoxId(rep);
}

/** How many boxes the graph shows with `expanded` groups open. */
export function countVisible(index: GraphIndex, expanded: ReadonlySet<string>): number {
  const seen = new Set<string>();
  for (const n of index.graph.nodes) seen.add(boxOf(index, n.id, expanded));
  return seen.size;
}

/** `expanded` plus every group around node `nodeId`, so the node itself is drawn. */
export function expandToShow(index: GraphIndex, nodeId: string, expanded: ReadonlySet<string>): Set<string> {
  const next = new Set(expanded);
  for (const gid of index.ancestors.get(nodeId) ?? []) next.add(gid);
  return next;
}

/** `expanded` with group `groupId` opened or closed; closing also closes the groups inside it. */
export function toggleGroup(index: GraphIndex, groupId: string, expanded: ReadonlySet<string>): Set<string> {
  const next = new Set(expanded);
  if (!next.has(groupId)) {
    for (let g: string | undefined = groupId; g; g = index.groupById.get(g)?.parent) next.add(g);
    return next;
  }
  const close = (id: string) => {
    next.delete(id);
    for (const child of index.groupById.get(id)?.childGroups ?? []) close(child);
  };
  close(groupId);
  return next;
}

/** Every group id (to expand all). */
export function allGroups(index: GraphIndex): Set<string> {
  return new Set(index.groupById.keys());
}

/**
 * The groups open when a graph is first shown. Small graphs (≤ `maxVisible` nodes) open
 * fully. Larger ones open level by level (top-level groups first) while the whole next
 * level still fits in `maxVisible` boxes, and always open the groups around the input,
 * bottleneck and output nodes so those stay visible.
 */
export function defaultExpanded(index: GraphIndex, maxVisible = DEFAULT_MAX_VISIBLE): Set<string> {
  if (index.graph.nodes.length <= maxVisible) return allGroups(index);
  const expanded = new Set<string>();
  for (const role of ['input', 'bottleneck', 'output'] as const) {
    const id = index.roles[role];
    for (const gid of id ? (index.ancestors.get(id) ?? []) : []) expanded.add(gid);
  }
  const maxDepth = Math.max(-1, ...[...index.groupById.values()].map((g) => g.depth));
  for (let depth = 0; depth <= maxDepth; depth++) {
    const trial = new Set(expanded);
    for (const g of index.groupById.values()) if (g.depth === depth) trial.add(g.id);
    if (countVisible(index, trial) > maxVisible) break;
    for (const id of trial) expanded.add(id);
  }
  return expanded;
}

/**
 * The boxes, edges and frames to draw with `expanded` groups open. Edges inside a
 * collapsed group disappear; edges into it attach to its box; parallel edges merge.
 * Nodes keep graph order; a collapsed group sits where its first node was.
 */
export function visibleGraph(index: GraphIndex, expanded: ReadonlySet<string>): VisibleGraph {
  const { graph } = index;
  const nodes: VisibleNode[] = [];
  const placed = new Map<string, VisibleNode>();
  const repOf = new Map<string, string>();

  for (const n of graph.nodes) {
    const repRef = representative(index, n.id, expanded);
    const rep = repRef === n.id ? n.id : groupBoxId(repRef);
    repOf.set(n.id, rep);
    const roles = index.rolesOf.get(n.id) ?? [];
    const existing = placed.get(rep);
    if (existing) {
      for (const r of roles) if (!existing.roles.includes(r)) existing.roles.push(r);
      continue;
    }
    let box: VisibleNode;
    if (rep === n.id) {
      box = { id: n.id, ref: n.id, kind: 'node', label: n.name, op: n.op, outputShape: n.outputShape, params: n.params, nodeCount: 1, roles: [...roles] };
    } else {
      const g = index.groupById.get(repRef)!;
      box = { id: groupBoxId(g.id), ref: g.id, kind: 'group', label: g.label, op: 'group', outputShape: null, params: g.params, nodeCount: g.nodeCount, roles: [...roles] };
    }
    const cluster = innermostExpanded(index, repRef, n.id, expanded);
    if (cluster) box.cluster = cluster;
    placed.set(rep, box);
    nodes.push(box);
  }

  const edges: VisibleEdge[] = [];
  const edgeByKey = new Map<string, VisibleEdge>();
  for (const e of graph.edges) {
    const from = repOf.get(e.from);
    const to = repOf.get(e.to);
    if (!from || !to || from === to) continue;
    const key = `${from}\u0000${to}`;
    const existing = edgeByKey.get(key);
    if (existing) {
      existing.count += 1;
      continue;
    }
    const edge: VisibleEdge = { id: `e${edges.length}`, from, to, shape: e.shape, count: 1 };
    edgeByKey.set(key, edge);
    edges.push(edge);
    // A collapsed group's output shape is that of its first edge leaving it.
    const fromBox = placed.get(from);
    if (fromBox && fromBox.kind === 'group' && fromBox.outputShape === null) fromBox.outputShape = e.shape;
  }

  // Frames for expanded groups that contain something visible, with their parents.
  const used = new Set<string>();
  for (const box of nodes) for (let c = box.cluster; c; c = index.groupById.get(c)?.parent) used.add(c);
  const clusters: VisibleCluster[] = [...used]
    .map((id) => index.groupById.get(id)!)
    .sort((a, b) => a.depth - b.depth)
    .map((g) => ({ id: g.id, label: g.label, ...(g.parent ? { parent: g.parent } : {}), nodeCount: g.nodeCount }));

  return { nodes, edges, clusters };
}

/** The innermost expanded group around a box (the frame it is drawn in). */
function innermostExpanded(index: GraphIndex, rep: string, nodeId: string, expanded: ReadonlySet<string>): string | undefined {
  const chain = index.ancestors.get(nodeId) ?? [];
  let inner: string | undefined;
  for (const gid of chain) {
    if (gid === rep) break;
    if (expanded.has(gid)) inner = gid;
  }
  return inner;
}

/**
 * Name-scope groups for a graph that has none (e.g. a graph model described without
 * groups): `a/b/c` goes in `a/b` inside `a`; without slashes, MobileNet `block_N_…` and
 * Inception `mixedN…` prefixes group layers. Returns the graph unchanged when it already
 * has groups or when no scope holds at least two nodes.
 */
export function withInferredGroups(graph: ModelGraph): ModelGraph {
  if (graph.groups.length > 0 || graph.nodes.some((n) => n.group)) return graph;
  const scopeOf = (n: GraphNode): string[] => {
    const parts = n.id.split('/');
    if (parts.length > 1) return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    const m = /^(block_\d+|mixed_?\d+|expanded_conv(?:_\d+)?|conv_(?:dw|pw)_\d+)(?=_|$)/.exec(n.name);
    return m && m[1] !== n.name ? [m[1]] : [];
  };
  const counts = new Map<string, number>();
  const scopes = graph.nodes.map((n) => scopeOf(n));
  for (const list of scopes) for (const s of list) counts.set(s, (counts.get(s) ?? 0) + 1);
  const keep = (s: string) => (counts.get(s) ?? 0) >= 2;
  if (![...counts.keys()].some(keep)) return graph;

  const groups = new Map<string, { id: string; label: string; parent?: string }>();
  const nodes = graph.nodes.map((n, i) => {
    const chainKept = scopes[i].filter(keep);
    chainKept.forEach((s, depth) => {
      if (!groups.has(s)) {
        const parent = depth > 0 ? chainKept[depth - 1] : undefined;
        groups.set(s, { id: s, label: s.split('/').pop() ?? s, ...(parent ? { parent } : {}) });
      }
    });
    const group = chainKept[chainKept.length - 1];
    return group ? { ...n, group } : n;
  });
  return { ...graph, nodes, groups: [...groups.values()] };
}
