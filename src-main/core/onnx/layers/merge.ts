/** Merge layers: elementwise Add, Subtract, Multiply, Average, Maximum, Minimum; Concatenate. */
import { attr } from '../graph-builder.js';
import { storedAxis, unsupported, type LayerConverter, type LayerStep } from './context.js';

function sameRanks({ layer, inputs, rank }: LayerStep): void {
  if (inputs.some((v) => v.shape.length !== rank)) throw unsupported(layer, 'inputs of different ranks');
}

/** An elementwise merge as the ONNX op `op`; variadic ops take all inputs at once, binary ones chain. */
function elementwise(op: 'Add' | 'Mul' | 'Max' | 'Min' | 'Sum' | 'Sub', average = false): LayerConverter {
  return (s) => {
    sameRanks(s);
    const { g, inputs, base } = s;
    let y: string;
    if (op === 'Sum' || op === 'Max' || op === 'Min') {
      y = g.op(op, inputs.map((v) => v.name), base);
    } else {
      y = inputs[0].name;
      for (let i = 1; i < inputs.length; i++) y = g.op(op, [y, inputs[i].name], inputs.length > 2 ? `${base}_${i}` : base);
    }
    if (average) y = g.op('Mul', [y, g.floatConstant([], [1 / inputs.length])], `${base}_mean`);
    return [y];
  };
}

export const MERGE_LAYERS: Record<string, LayerConverter> = {
  Add: elementwise('Add'),
  Multiply: elementwise('Mul'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Average: elementwise('Sum', true),
  Subtract: elementwise('Sub'),
  Concatenate: (s) => {
    sameRanks(s);
    const { g, inputs, config, rank, base } = s;
    return [g.op('Concat', inputs.map((v) => v.name), base, { axis: attr.int(storedAxis(Number(config.axis ?? -1), rank)) })];
  },
};
