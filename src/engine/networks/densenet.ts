/**
 * torchvision's DenseNet-121 / 201 (growth 32, bn_size 4, 64 initial features, no dropout).
 * Dense layer: BN-ReLU-Conv1x1(bn_size*growth)-BN-ReLU-Conv3x3(growth), concatenated onto its
 * input; transition: BN-ReLU-Conv1x1(halve)-AvgPool 2x2/2. Final BN + ReLU + global average pool;
 * the zoo adds the Linear head. Convs have no bias. The width multiplier scales the growth rate
 * and the initial features. Names follow torchvision (`features_denseblock1_denselayer1_conv1`).
 */
import { NetBuilder, scaleChannels, type Trunk } from './builder';

export type DenseNetArch = 'densenet121' | 'densenet201';

const BLOCKS: Record<DenseNetArch, number[]> = {
  densenet121: [6, 12, 24, 16],
  densenet201: [6, 12, 48, 32],
};

export function buildDenseNet(b: NetBuilder, arch: DenseNetArch, inputSize: number, width: number): Trunk {
  const growth = scaleChannels(32, width);
  const bnSize = 4;
  const input = b.input(inputSize);

  let features = scaleChannels(64, width);
  let x = b.conv(input, 'features_conv0', { filters: features, kernel: 7, stride: 2, padding: 3 });
  x = b.bnAct(x, 'features_norm0', 'relu', 'features_relu0');
  x = b.maxPool(x, 'features_pool0', 3, 2, 1);

  const blocks = BLOCKS[arch];
  blocks.forEach((n, bi) => {
    const block = `features_denseblock${bi + 1}`;
    for (let li = 1; li <= n; li++) {
      const name = `${block}_denselayer${li}`;
      let y = b.bnAct(x, `${name}_norm1`, 'relu', `${name}_relu1`);
      y = b.conv(y, `${name}_conv1`, { filters: bnSize * growth, kernel: 1, padding: 0 });
      y = b.bnAct(y, `${name}_norm2`, 'relu', `${name}_relu2`);
      y = b.conv(y, `${name}_conv2`, { filters: growth, kernel: 3, padding: 1 });
      // Running concatenation keeps torchvision's channel order: [input, layer1, layer2, ...].
      x = b.concat([x, y], `${name}_concat`);
      features += growth;
    }
    if (bi < blocks.length - 1) {
      const name = `features_transition${bi + 1}`;
      features = Math.floor(features / 2);
      x = b.bnAct(x, `${name}_norm`, 'relu', `${name}_relu`);
      x = b.conv(x, `${name}_conv`, { filters: features, kernel: 1, padding: 0 });
      x = b.avgPool(x, `${name}_pool`, 2, 2);
    }
  });
  x = b.bnAct(x, 'features_norm5', 'relu', 'features_relu5');
  return { input, features: b.globalAvgPool(x, 'avgpool') };
}
