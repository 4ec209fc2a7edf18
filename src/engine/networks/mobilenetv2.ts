/**
 * torchvision's MobileNetV2: stem conv 3x3/2 to 32, inverted residuals (1x1 expand unless t = 1,
 * 3x3 depthwise, 1x1 linear projection; residual when stride 1 and in == out), ReLU6, last conv
 * 1x1 to 1280, global average pool, Dropout(0.2); the zoo adds the Linear. Channel counts use
 * `_make_divisible(c * width, 8)`; as in torchvision the last conv keeps 1280 channels for widths
 * below 1 (`1280 * max(1, width)`). Names follow torchvision (`features_{i}_conv_{j}`).
 */
import { NetBuilder, makeDivisible, type ST, type Trunk } from './builder';

// t (expand ratio), c (output channels), n (repeats), s (stride of the first repeat)
const SETTING: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function invertedResidual(b: NetBuilder, x: ST, name: string, inp: number, oup: number, stride: number, t: number): ST {
  const hidden = Math.round(inp * t);
  let j = 0;
  let y = x;
  if (t !== 1) y = b.convBnAct(y, `${name}_conv_${j++}`, { filters: hidden, kernel: 1, padding: 0 }, 'relu6');
  y = b.dwBnAct(y, `${name}_conv_${j++}`, { kernel: 3, stride }, 'relu6');
  y = b.conv(y, `${name}_conv_${j++}`, { filters: oup, kernel: 1, padding: 0 });
  y = b.bn(y, `${name}_conv_${j}`);
  if (stride === 1 && inp === oup) y = b.add([y, x], `${name}_add`);
  return y;
}

export function buildMobileNetV2(b: NetBuilder, inputSize: number, width: number): Trunk {
  const input = b.input(inputSize);
  let inC = makeDivisible(32 * width, 8);
  const lastC = makeDivisible(1280 * Math.max(1, width), 8);
  let x = b.convBnAct(input, 'features_0', { filters: inC, kernel: 3, stride: 2, padding: 1 }, 'relu6');
  let index = 1;
  for (const [t, c, n, s] of SETTING) {
    const outC = makeDivisible(c * width, 8);
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, x, `features_${index++}`, inC, outC, i === 0 ? s : 1, t);
      inC = outC;
    }
  }
  x = b.convBnAct(x, `features_${index}`, { filters: lastC, kernel: 1, padding: 0 }, 'relu6');
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dropout(x, 'classifier_0', 0.2);
  return { input, features: x };
}
