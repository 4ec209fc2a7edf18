/**
 * torchvision's ResNet 18/34/50/101/152 (V1.5: a bottleneck's stride sits in its 3x3 conv),
 * without the final Linear, which the zoo adds as the task head. Convs have no bias; the
 * downsample branch is conv1x1(stride) + BN. Layer names follow torchvision's module paths
 * (`conv1`, `bn1`, `layer2_0_conv2`, `layer2_0_downsample_0`, ...).
 */
import { NetBuilder, scaleChannels, type ST, type Trunk } from './builder';

export type ResNetArch = 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101' | 'resnet152';

const CONFIGS: Record<ResNetArch, { bottleneck: boolean; blocks: [number, number, number, number] }> = {
  resnet18: { bottleneck: false, blocks: [2, 2, 2, 2] },
  resnet34: { bottleneck: false, blocks: [3, 4, 6, 3] },
  resnet50: { bottleneck: true, blocks: [3, 4, 6, 3] },
  resnet101: { bottleneck: true, blocks: [3, 4, 23, 3] },
  resnet152: { bottleneck: true, blocks: [3, 8, 36, 3] },
};

export function buildResNet(b: NetBuilder, arch: ResNetArch, inputSize: number, width: number): Trunk {
  const { bottleneck, blocks } = CONFIGS[arch];
  const expansion = bottleneck ? 4 : 1;
  const input = b.input(inputSize);

  let inplanes = scaleChannels(64, width);
  let x = b.conv(input, 'conv1', { filters: inplanes, kernel: 7, stride: 2, padding: 3 });
  x = b.bnAct(x, 'bn1', 'relu', 'relu');
  x = b.maxPool(x, 'maxpool', 3, 2, 1);

  for (let stage = 0; stage < 4; stage++) {
    const planes = scaleChannels(64 * 2 ** stage, width);
    for (let i = 0; i < blocks[stage]; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const name = `layer${stage + 1}_${i}`;
      const out = planes * expansion;
      let shortcut: ST = x;
      if (stride !== 1 || inplanes !== out) {
        shortcut = b.conv(x, `${name}_downsample_0`, { filters: out, kernel: 1, stride, padding: 0 });
        shortcut = b.bn(shortcut, `${name}_downsample_1`);
      }
      let y: ST;
      if (bottleneck) {
        y = b.conv(x, `${name}_conv1`, { filters: planes, kernel: 1, padding: 0 });
        y = b.bnAct(y, `${name}_bn1`, 'relu', `${name}_relu1`);
        y = b.conv(y, `${name}_conv2`, { filters: planes, kernel: 3, stride, padding: 1 });
        y = b.bnAct(y, `${name}_bn2`, 'relu', `${name}_relu2`);
        y = b.conv(y, `${name}_conv3`, { filters: out, kernel: 1, padding: 0 });
        y = b.bn(y, `${name}_bn3`);
      } else {
        y = b.conv(x, `${name}_conv1`, { filters: planes, kernel: 3, stride, padding: 1 });
        y = b.bnAct(y, `${name}_bn1`, 'relu', `${name}_relu1`);
        y = b.conv(y, `${name}_conv2`, { filters: planes, kernel: 3, padding: 1 });
        y = b.bn(y, `${name}_bn2`);
      }
      x = b.act(b.add([y, shortcut], `${name}_add`), 'relu', `${name}_relu`);
      inplanes = out;
    }
  }
  return { input, features: b.globalAvgPool(x, 'avgpool') };
}
