import { describe, expect, it } from 'vitest';
import { formatDuration, formatParams, formatPercent, formatShape } from '../../src-renderer/lib/graph/format.js';
import { layeredLayout, layoutGraph, midpoint, nodeSize, type GraphLayout } from '../../src-renderer/lib/graph/layout.js';
import {
  allGroups, boxOf, countVisible, defaultExpanded, expandToShow, groupBoxId, indexGraph, toggleGroup, visibleGraph, withInferredGroups,
} from '../../src-renderer/lib/graph/model.js';
import { searchNodes } from '../../src-renderer/lib/graph/search.js';
import { escapeXml, graphToSvg, pngScale, truncate } from '../../src-renderer/lib/graph/svg.js';
import { centerOn, cull, detailLevel, edgePath, fitViewport, toWorld, visibleWorldRect, zoomAt } from '../../src-renderer/lib/graph/viewport.js';
import { mobilenetLikeGraph, scopedChainGraph } from './graph-fixtures.js';

describe('indexGraph', () => {
  it('finds the input, bottleneck and output nodes by name and builds the group tree', () => {
    const index = indexGraph(mobilenetLikeGraph(4, 3));
    expect(index.roles).toEqual({ input: 'model/input_1', bottleneck: 'model/out_relu', output: 'global_average_pooling2d' });
    expect(index.groupById.get('model')!.childGroups).toEqual(['model/block_1', 'model/block_2', 'model/block_3', 'model/block_4']);
    expect(index.groupById.get('model/block_2')!.depth).toBe(1);
    expect(index.groupById.get('model/block_3')!.nodeCount).toBe(4); // 3 layers + add
    expect(index.ancestors.get('model/block_2/block_2_layer_0')).toEqual(['model', 'model/block_2']);
    expect(index.groupById.get('model')!.nodeCount).toBe(1 + 3 + 4 * 3 + 1 + 1);
  });

  it('survives dangling and cyclic group parents and undeclared groups', () => {
    const g = mobilenetLikeGraph(2, 2);
    g.groups = [{ id: 'a', label: 'A', parent: 'b' }, { id: 'b', label: 'B', parent: 'a' }, { id: 'model', label: 'm', parent: 'nope' }];
    const index = indexGraph(g);
    expect(index.groupById.get('model')!.parent).toBeUndefined();
    expect(index.groupById.has('model/block_1')).toBe(true); // created from node.group
    const cyclic = [index.groupById.get('a')!, index.groupById.get('b')!];
    expect(cyclic.filter((x) => x.parent === undefined).length).toBeGreaterThan(0);
  });
});

describe('collapsing groups', () => {
  const graph = mobilenetLikeGraph(16, 8);
  const index = indexGraph(graph);

  it('opens small graphs fully and large ones level by level, keeping the special nodes visible', () => {
    const small = indexGraph(mobilenetLikeGraph(3, 3));
    expect(defaultExpanded(small)).toEqual(allGroups(small));

    expect(graph.nodes.length).toBeGreaterThan(120);
    const expanded = defaultExpanded(index, 120);
    expect(expanded.has('model')).toBe(true);
    expect(expanded.has('model/block_1')).toBe(false);
    const visible = visibleGraph(index, expanded);
    // input_1, 3 stem layers, 16 collapsed blocks, out_relu, pooling.
    expect(visible.nodes).toHaveLength(1 + 3 + 16 + 1 + 1);
    expect(visible.nodes.find((n) => n.id === 'model/input_1')!.roles).toEqual(['input']);
    expect(visible.nodes.find((n) => n.id === 'model/out_relu')!.roles).toEqual(['bottleneck']);
    expect(countVisible(index, expanded)).toBe(visible.nodes.length);
  });

  it('replaces a collapsed group with one box and rewires and merges its edges', () => {
    const expanded = new Set(['model']);
    const visible = visibleGraph(index, expanded);
    const block3 = visible.nodes.find((n) => n.id === groupBoxId('model/block_3'))!;
    expect(block3).toMatchObject({ kind: 'group', ref: 'model/block_3', label: 'block_3', nodeCount: 9, cluster: 'model' });
    expect(block3.params).toBe(3 * 300 + 5 * 32); // 3 convs of 300 params, 5 other layers of 32
    expect(block3.outputShape).toEqual([null, 112, 112, 24]);
    // The chain block_2 → block_3 carries two edges (main path + residual into block_3's add): merged.
    const into3 = visible.edges.filter((e) => e.to === block3.id);
    expect(into3).toHaveLength(1);
    expect(into3[0]).toMatchObject({ from: groupBoxId('model/block_2'), count: 2 });
    // No edge stays inside a collapsed box, and every edge joins visible boxes.
    const ids = new Set(visible.nodes.map((n) => n.id));
    for (const e of visible.edges) {
      expect(e.from).not.toBe(e.to);
      expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    }
    expect(visible.clusters.map((c) => c.id)).toEqual(['model']);
  });

  it('collapsing the outer group hides the special nodes inside but keeps their roles on the box', () => {
    const visible = visibleGraph(index, new Set());
    expect(visible.nodes.map((n) => n.id)).toEqual([groupBoxId('model'), 'global_average_pooling2d']);
    expect(visible.nodes[0].roles.sort()).toEqual(['bottleneck', 'input']);
    expect(visible.edges).toEqual([{ id: 'e0', from: groupBoxId('model'), to: 'global_average_pooling2d', shape: [null, 7, 7, 1280], count: 1 }]);
    expect(visible.clusters).toEqual([]);
  });

  it('expands to show a node and toggles groups (closing closes the groups inside)', () => {
    const target = 'model/block_7/block_7_layer_2';
    const shown = expandToShow(index, target, new Set());
    expect(boxOf(index, target, shown)).toBe(target);
    expect([...shown].sort()).toEqual(['model', 'model/block_7']);
    const closed = toggleGroup(index, 'model', shown);
    expect(closed.size).toBe(0);
    const reopened = toggleGroup(index, 'model/block_7', new Set());
    expect([...reopened].sort()).toEqual(['model', 'model/block_7']);
  });

  it('infers name-scope groups for a graph without groups', () => {
    const inferred = withInferredGroups(scopedChainGraph(40, 10));
    expect(inferred.groups.map((g) => g.id)).toEqual(['net', 'net/scope_0', 'net/scope_1', 'net/scope_2', 'net/scope_3']);
    expect(inferred.groups[1]).toEqual({ id: 'net/scope_0', label: 'scope_0', parent: 'net' });
    expect(inferred.nodes[15].group).toBe('net/scope_1');
    const mobile = mobilenetLikeGraph(2, 2);
    expect(withInferredGroups(mobile)).toBe(mobile);
  });
});

describe('searchNodes', () => {
  const graph = mobilenetLikeGraph(12, 4);

  it('ranks exact names, prefixes and substrings before op matches', () => {
    const exact = searchNodes(graph, 'out_relu');
    expect(exact[0]).toMatchObject({ nodeId: 'model/out_relu', rank: 0, field: 'name' });
    const byPrefix = searchNodes(graph, 'BLOCK_1');
    expect(byPrefix[0].nodeId).toBe('model/block_1/block_1_layer_0');
    expect(byPrefix.every((m) => m.name.toLowerCase().includes('block_1'))).toBe(true);
    // block_10…block_12 match too, after block_1's own layers (graph order).
    expect(byPrefix.map((m) => m.name)).toContain('block_11_layer_3');
  });

  it('finds nodes by op and respects the limit', () => {
    const adds = searchNodes(graph, 'add');
    expect(adds.length).toBeGreaterThan(3);
    expect(adds.every((m) => m.name.endsWith('_add'))).toBe(true);
    const pooling = searchNodes(graph, 'globalaveragepooling2d');
    expect(pooling).toEqual([{ nodeId: 'global_average_pooling2d', name: 'global_average_pooling2d', op: 'GlobalAveragePooling2D', field: 'op', rank: 4 }]);
    expect(searchNodes(graph, 'layer', 5)).toHaveLength(5);
    expect(searchNodes(graph, '   ')).toEqual([]);
    expect(searchNodes(graph, 'no-such-thing')).toEqual([]);
  });
});

describe('layoutGraph', () => {
  it('places every box without overlaps, top to bottom along the data flow, with frames around groups', () => {
    const index = indexGraph(mobilenetLikeGraph(6, 4));
    const visible = visibleGraph(index, allGroups(index));
    const layout = layoutGraph(visible);
    expect(Object.keys(layout.nodes).sort()).toEqual(visible.nodes.map((n) => n.id).sort());
    const boxes = Object.values(layout.nodes);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const overlap = Math.abs(a.x - b.x) < (a.width + b.width) / 2 && Math.abs(a.y - b.y) < (a.height + b.height) / 2;
        expect(overlap, `${a.id} overlaps ${b.id}`).toBe(false);
      }
    }
    for (const e of visible.edges) expect(layout.nodes[e.to].y).toBeGreaterThan(layout.nodes[e.from].y);
    expect(layout.edges).toHaveLength(visible.edges.length);
    expect(layout.edges.every((e) => e.points.length >= 2)).toBe(true);
    expect(layout.edges.find((e) => e.from === 'model/input_1')!.label).toBe('[null,224,224,3]');
    // Frames: the nested model and each block, each containing its members.
    expect(layout.engine).toBe('dagre-compound');
    {
      expect(layout.clusters.map((c) => c.id)).toContain('model/block_3');
      const frame = layout.clusters.find((c) => c.id === 'model/block_3')!;
      for (const n of visible.nodes.filter((v) => v.cluster === 'model/block_3')) {
        const box = layout.nodes[n.id];
        expect(box.x - box.width / 2).toBeGreaterThanOrEqual(frame.x - frame.width / 2 - 0.5);
        expect(box.y + box.height / 2).toBeLessThanOrEqual(frame.y + frame.height / 2 + 0.5);
      }
    }
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.height).toBeGreaterThan(Object.keys(layout.nodes).length); // a tall chain
  });

  /** Asserts boxes in the same rank never overlap and frames contain their members. */
  function expectSane(layout: GraphLayout, visible: ReturnType<typeof visibleGraph>) {
    const boxes = Object.values(layout.nodes).sort((a, b) => a.y - b.y || a.x - b.x);
    for (let i = 1; i < boxes.length; i++) {
      const a = boxes[i - 1];
      const b = boxes[i];
      if (a.y === b.y) expect(b.x - b.width / 2, `${a.id} / ${b.id}`).toBeGreaterThanOrEqual(a.x + a.width / 2);
    }
    for (const c of layout.clusters) {
      for (const n of visible.nodes.filter((v) => v.cluster === c.id)) {
        const box = layout.nodes[n.id];
        expect(box.x - box.width / 2).toBeGreaterThan(c.x - c.width / 2);
        expect(box.x + box.width / 2).toBeLessThan(c.x + c.width / 2);
        expect(box.y - box.height / 2).toBeGreaterThan(c.y - c.height / 2);
      }
    }
    for (const b of boxes) {
      expect(b.x - b.width / 2).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width / 2).toBeLessThanOrEqual(layout.width);
      expect(b.y + b.height / 2).toBeLessThanOrEqual(layout.height);
    }
  }

  it('uses flat dagre with frames drawn around members above the compound limit', () => {
    const index = indexGraph(mobilenetLikeGraph(6, 4));
    const visible = visibleGraph(index, allGroups(index));
    const layout = layoutGraph(visible, { maxCompound: 10 });
    expect(layout.engine).toBe('dagre');
    expect(layout.clusters.map((c) => c.id)).toContain('model/block_2');
    expect(layout.clusters[0].id).toBe('model');
    expectSane(layout, visible);
  });

  it('switches to the layered layout for thousands of boxes (dagre would overflow the stack)', () => {
    const graph = scopedChainGraph(3000);
    const index = indexGraph(graph);
    const visible = visibleGraph(index, allGroups(index));
    const layout = layoutGraph(visible);
    expect(layout.engine).toBe('layered');
    expect(Object.keys(layout.nodes)).toHaveLength(3000);
    const ys = graph.nodes.map((n) => layout.nodes[n.id].y);
    expect(ys.every((y, i) => i === 0 || y > ys[i - 1])).toBe(true);
    expectSane(layout, visible);
  });

  it('layered layout: ranks by longest path, keeps a rank free of overlaps, survives cycles', () => {
    const index = indexGraph(mobilenetLikeGraph(8, 3));
    const visible = visibleGraph(index, allGroups(index));
    const layout = layeredLayout(visible);
    for (const e of visible.edges) expect(layout.nodes[e.to].y).toBeGreaterThan(layout.nodes[e.from].y);
    expectSane(layout, visible);
    // A residual add sits below both of its inputs.
    const add = layout.nodes['model/block_3/block_3_add'];
    expect(add.y).toBeGreaterThan(layout.nodes['model/block_3/block_3_layer_2'].y);
    const cyclic = { nodes: visible.nodes.slice(0, 3), clusters: [], edges: [
      { id: 'a', from: visible.nodes[0].id, to: visible.nodes[1].id, shape: null, count: 1 },
      { id: 'b', from: visible.nodes[1].id, to: visible.nodes[2].id, shape: null, count: 1 },
      { id: 'c', from: visible.nodes[2].id, to: visible.nodes[0].id, shape: null, count: 1 },
    ] };
    const c = layeredLayout(cyclic);
    expect(Object.values(c.nodes).every((b) => Number.isFinite(b.x) && Number.isFinite(b.y))).toBe(true);
    expect(c.edges).toHaveLength(3);
  });

  it('lays out a flat graph of a few hundred nodes', () => {
    const graph = scopedChainGraph(300);
    const index = indexGraph(graph);
    const layout = layoutGraph(visibleGraph(index, allGroups(index)));
    expect(Object.keys(layout.nodes)).toHaveLength(300);
    const ys = graph.nodes.map((n) => layout.nodes[n.id].y);
    expect(ys.every((y, i) => i === 0 || y > ys[i - 1])).toBe(true);
  });

  it('sizes boxes from their text and finds polyline midpoints', () => {
    const small = nodeSize({ id: 'a', ref: 'a', kind: 'node', label: 'a', op: 'ReLU', outputShape: null, params: 0, nodeCount: 1, roles: [] });
    const big = nodeSize({ id: 'b', ref: 'b', kind: 'node', label: 'a_very_long_layer_name_for_testing_sizes', op: 'Conv2D', outputShape: [null, 7, 7, 1280], params: 1e6, nodeCount: 1, roles: [] });
    expect(big.width).toBeGreaterThan(small.width);
    expect(midpoint([{ x: 0, y: 0 }, { x: 0, y: 10 }, { x: 10, y: 10 }])).toEqual({ x: 0, y: 10 });
    expect(midpoint([{ x: 0, y: 0 }, { x: 4, y: 0 }])).toEqual({ x: 2, y: 0 });
  });
});

describe('viewport', () => {
  const screen = { width: 800, height: 600 };

  it('fits content, zooms about a point and centres on a node', () => {
    const fit = fitViewport({ width: 400, height: 3000 }, screen, 20);
    expect(fit.scale).toBeCloseTo(560 / 3000, 6);
    expect(fit.y).toBeCloseTo(20, 6);
    const small = fitViewport({ width: 100, height: 100 }, screen);
    expect(small).toEqual({ scale: 1, x: 350, y: 250 });

    const zoomed = zoomAt({ x: 10, y: 20, scale: 1 }, 2, { x: 110, y: 220 });
    expect(toWorld(zoomed, { x: 110, y: 220 })).toEqual(toWorld({ x: 10, y: 20, scale: 1 }, { x: 110, y: 220 }));
    expect(zoomAt({ x: 0, y: 0, scale: 3 }, 10, { x: 0, y: 0 }).scale).toBe(4);

    const centred = centerOn({ x: 0, y: 0, scale: 2 }, { x: 100, y: 50 }, screen);
    expect(toWorld(centred, { x: 400, y: 300 })).toEqual({ x: 100, y: 50 });
  });

  it('culls boxes and edges outside the visible rectangle', () => {
    const index = indexGraph(scopedChainGraph(200));
    const layout = layoutGraph(visibleGraph(index, allGroups(index)));
    const view = centerOn({ x: 0, y: 0, scale: 1 }, layout.nodes['net/scope_10/op_100'], screen);
    const culled = cull(layout, visibleWorldRect(view, screen, 50));
    expect(culled.nodes.map((n) => n.id)).toContain('net/scope_10/op_100');
    expect(culled.nodes.length).toBeLessThan(30);
    expect(culled.nodes.length).toBeGreaterThan(3);
    expect(culled.edges.length).toBeLessThan(30);
    const all = cull(layout, visibleWorldRect(fitViewport(layout, screen), screen));
    expect(all.nodes).toHaveLength(200);
  });

  it('chooses less detail when zoomed out, and draws edge paths', () => {
    expect(detailLevel(1)).toBe('full');
    expect(detailLevel(0.3)).toBe('labels');
    expect(detailLevel(0.05)).toBe('boxes');
    expect(edgePath([{ x: 0, y: 0 }, { x: 0, y: 10 }])).toBe('M0,0L0,10');
    expect(edgePath([{ x: 0, y: 0 }, { x: 0, y: 10 }, { x: 10, y: 20 }])).toBe('M0,0Q0,10 5,15L10,20');
  });
});

describe('graphToSvg', () => {
  it('draws every box, edge and frame with roles and escaped text', () => {
    const graph = mobilenetLikeGraph(4, 3);
    graph.nodes[1].name = 'Conv1 <&> "quoted"';
    const index = indexGraph(graph);
    const visible = visibleGraph(index, allGroups(index));
    const layout = layoutGraph(visible);
    const svg = graphToSvg(layout, visible, { title: 'M & N' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain(`width="${Math.ceil(layout.width)}" height="${Math.ceil(layout.height)}"`);
    expect(svg).toContain('<title>M &amp; N</title>');
    expect(svg.match(/<g class="node">/g)).toHaveLength(visible.nodes.length);
    expect(svg.match(/marker-end=/g)).toHaveLength(visible.edges.length);
    expect(svg.match(/<g class="cluster">/g)).toHaveLength(layout.clusters.length);
    expect(svg).toContain('Conv1 &lt;&amp;&gt; &quot;quoted&quot;');
    expect(svg).not.toContain('<&>');
    expect(svg).toContain('>INPUT</text>');
    expect(svg).toContain('>BOTTLENECK</text>');
    expect(svg).toContain('[null,224,224,3]');
  });

  it('escapes, truncates and limits PNG size', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(truncate('abcdefgh', 5)).toBe('abcd…');
    expect(truncate('abc', 5)).toBe('abc');
    expect(pngScale(400, 1000)).toBe(2);
    expect(pngScale(400, 13_730)).toBeCloseTo(16384 / 13_730, 6);
    expect(pngScale(10_000, 10_000)).toBeCloseTo(Math.sqrt(64e6 / 1e8), 6);
  });
});

describe('format', () => {
  it('formats shapes, parameter counts, durations and percentages', () => {
    expect(formatShape([null, 224, 224, 3])).toBe('[null,224,224,3]');
    expect(formatShape(null)).toBe('?');
    expect(formatParams(0)).toBe('0');
    expect(formatParams(864)).toBe('864');
    expect(formatParams(12_345)).toBe('12.3K');
    expect(formatParams(1_663_296)).toBe('1.66M');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatPercent(0.8734)).toBe('87.3%');
  });
});
