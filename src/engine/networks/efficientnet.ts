/**
 * torchvision's EfficientNet-B0 / B1: MBConv blocks (1x1 expand when the ratio is not 1, kxk
 * depthwise, squeeze-excitation with max(1, block_input // 4) squeeze channels, SiLU inside and a
 * sigmoid gate, 1x1 linear projection; residual when stride 1 and in == out), stem conv 3x3/2 to
 * 32, head conv 1x1 to 4 * 320 = 1280, global average pool, Dropout(0.2); the zoo adds the Linear.
 * B1 repeats each stage ceil(1.1 * n) times. Channel counts use torchvision's `_make_divisible(c *
 * width_mult, 8)`, with the zoo's width folded into width_mult.
 *
 * Stochastic depth as torchvision's: every MBConv with a residual drops its branch per sample in
 * training (`SeededStochasticDepth`, "row" mode) with p = 0.2 * block_index / total_blocks, the
 * block index counted from 0 over all stages. It has no parameters; it is seeded like dropout.
 *
 * Names follow torchvision: `features_0_0` (stem conv), `features_{stage}_{block}_block_{i}_0`,
 * SE convs `..._block_{i}_fc1` / `_fc2`.
 */
import { NetBuilder, makeDivisible, type ST, type Trunk } from './builder';

export type EfficientNetArch = 'efficientnet_b0' | 'efficientnet_b1';

const PARAMS: Record<EfficientNetArch, { widthMult: number; depthMult: number; dropout: number }> = {
  efficientnet_b0: { widthMult: 1.0, depthMult: 1.0, dropout: 0.2 },
  efficientnet_b1: { widthMult: 1.0, depthMult: 1.1, dropout: 0.2 },
};

/** torchvision's `stochastic_depth_prob` for B0 and B1. */
const STOCHASTIC_DEPTH = 0.2;

// expand ratio, kernel, stride, input channels, output channels, layers
const STAGES: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

function mbconv(b: NetBuilder, x: ST, name: string, inC: number, outC: number, expand: number, kernel: number, stride: number, sdProb: number): ST {
  const expanded = makeDivisible(inC * expand, 8);
  let i = 0;
  let y = x;
  if (expanded !== inC) y = b.convBnAct(y, `${name}_block_${i++}`, { filters: expanded, kernel: 1, padding: 0 }, 'silu');
  y = b.dwBnAct(y, `${name}_block_${i++}`, { kernel, stride }, 'silu');

  const se = `${name}_block_${i++}`;
  const squeeze = Math.max(1, Math.floor(inC / 4));
  let g = b.reshape(b.globalAvgPool(y, `${se}_avgpool`), [1, 1, expanded], `${se}_reshape`);
  g = b.conv(g, `${se}_fc1`, { filters: squeeze, kernel: 1, padding: 0, bias: true });
  g = b.act(g, 'silu', `${se}_activation`);
  g = b.conv(g, `${se}_fc2`, { filters: expanded, kernel: 1, padding: 0, bias: true });
  g = b.act(g, 'sigmoid', `${se}_scale_activation`);
  // Multiply broadcasts the [N,1,1,C] gate over [N,H,W,C] (and its gradient sums it back).
  y = b.multiply([y, g], `${se}_scale`);

  y = b.convBnAct(y, `${name}_block_${i}`, { filters: outC, kernel: 1, padding: 0 }, null);
  if (stride === 1 && inC === outC) {
    if (sdProb > 0) y = b.stochasticDepth(y, `${name}_stochastic_depth`, sdProb);
    y = b.add([y, x], `${name}_add`);
  }
  return y;
}

export function buildEfficientNet(b: NetBuilder, arch: EfficientNetArch, inputSize: number, width: number): Trunk {
  const { widthMult, depthMult, dropout } = PARAMS[arch];
  const wm = widthMult * width;
  const adjust = (c: number) => makeDivisible(c * wm, 8);
  const input = b.input(inputSize);

  let x = b.convBnAct(input, 'features_0', { filters: adjust(STAGES[0][3]), kernel: 3, stride: 2, padding: 1 }, 'silu');
  const total = STAGES.reduce((a, st) => a + Math.ceil(st[5] * depthMult), 0);
  let blockId = 0;
  STAGES.forEach(([expand, kernel, stride, cin, cout, n], si) => {
    const inC = adjust(cin);
    const outC = adjust(cout);
    const layers = Math.ceil(n * depthMult);
    for (let j = 0; j < layers; j++) {
      const sdProb = (STOCHASTIC_DEPTH * blockId++) / total;
      x = mbconv(b, x, `features_${si + 1}_${j}`, j === 0 ? inC : outC, outC, expand, kernel, j === 0 ? stride : 1, sdProb);
    }
  });
  const last = 4 * adjust(STAGES[STAGES.length - 1][4]);
  x = b.convBnAct(x, `features_${STAGES.length + 1}`, { filters: last, kernel: 1, padding: 0 }, 'silu');
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dropout(x, 'classifier_0', dropout);
  return { input, features: x };
}
