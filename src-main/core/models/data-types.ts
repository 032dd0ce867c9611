/** Plain data types of models (no Node, no tfjs): re-exported by the API contract. */

/** How a TF.js model is stored: a Keras-style layers model or a converted graph model. */
export type ModelFormat = 'layers' | 'graph';

/** A tensor shape; null marks a free dimension (usually the batch). */
type Dims = (number | null)[];

/** Progress of one model download. Bytes count every file (model.json and shards). */
export type DownloadProgress = {
  modelId: string;
  /** Bytes on disk so far, including bytes resumed from an earlier attempt. */
  receivedBytes: number;
  /** Whole model size once model.json is known (before that null). */
  totalBytes: number | null;
  /** The file being fetched, relative to the model folder. */
  file: string;
};

/** A node of the graph view (constants are folded into their consumers). */
export type GraphNode = {
  id: string;
  name: string;
  /** Layer class (layers models) or graph op. */
  op: string;
  outputShape: Dims | null;
  params: number;
  /** Innermost group id, for collapsing. */
  group?: string;
  attributes: Record<string, string | number | boolean | null>;
};

/** A tensor flowing from one node to another, with its shape. */
export type GraphEdge = { from: string; to: string; shape: Dims | null };
/** A collapsible group; `parent` nests groups. */
export type GraphGroup = { id: string; label: string; parent?: string };

/** Everything the graph view draws for one model. */
export type ModelGraph = {
  modelId: string;
  format: ModelFormat;
  nodes: GraphNode[];
  edges: GraphEdge[];
  groups: GraphGroup[];
  input: { name: string; shape: Dims; dtype: string; normalization: string; crop: string };
  bottleneck: { name: string; shape: Dims | null };
  output: { name: string; shape: Dims | null };
  totalParams: number;
};
