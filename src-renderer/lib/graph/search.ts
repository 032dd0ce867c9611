/** Finding nodes by name or op type. Pure: no DOM. */
import type { ModelGraph } from '../../../src-main/api/contract.js';

/** One search hit; lower `rank` is better. */
export type SearchMatch = {
  nodeId: string;
  name: string;
  op: string;
  /** What matched: the node's name (or id) or its op type. */
  field: 'name' | 'op';
  /** 0 exact name, 1 name prefix, 2 name word prefix, 3 name substring, 4 exact op, 5 op substring. */
  rank: number;
};

/**
 * Nodes whose name/id or op contains `query` (case-insensitive, surrounding spaces
 * ignored), best first: exact name, name prefix, a name part (after `_`, `/`, `.`) prefix,
 * name substring, exact op, op substring; ties keep graph order. An empty query finds
 * nothing. At most `limit` (default 50) matches.
 */
export function searchNodes(graph: ModelGraph, query: string, limit = 50): SearchMatch[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const matches: (SearchMatch & { index: number })[] = [];
  graph.nodes.forEach((n, index) => {
    const name = n.name.toLowerCase();
    const id = n.id.toLowerCase();
    const op = n.op.toLowerCase();
    let rank = -1;
    let field: SearchMatch['field'] = 'name';
    if (name === q || id === q) rank = 0;
    else if (name.startsWith(q) || id.startsWith(q)) rank = 1;
    else if (name.split(/[_/.\-:]/).some((part) => part.startsWith(q))) rank = 2;
    else if (name.includes(q) || id.includes(q)) rank = 3;
    else if (op === q) { rank = 4; field = 'op'; }
    else if (op.includes(q)) { rank = 5; field = 'op'; }
    if (rank >= 0) matches.push({ nodeId: n.id, name: n.name, op: n.op, field, rank, index });
  });
  matches.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return matches.slice(0, limit).map(({ index: _index, ...m }) => m);
}
