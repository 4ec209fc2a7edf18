/**
 * torchvision's plain VGG 11/16/19 (no batch norm). Two variants:
 * - `vggNN`: torchvision's classifier, AdaptiveAvgPool2d(7x7) -> Linear(512*7*7, 4096) -> ReLU ->
 *   Dropout(0.5) -> Linear(4096, 4096) -> ReLU -> Dropout(0.5); the zoo adds the last Linear as the
 *   task head. The adaptive pool makes the first Linear 25088 wide for any input size.
 * - `vggNN_nofc`: torchvision's features, then global average pooling (the head reads 512 values).
 *
 * The width multiplier scales the conv channels and the two hidden Linear layers alike.
 * Flattening is NHWC (H, W, C order), unlike PyTorch's (C, H, W): same parameters, permuted rows of
 * the first Linear when importing torchvision weights. Layer names follow torchvision's indices
 * (`features_0`, `features_2`, ..., `classifier_0`, `classifier_3`).
 */
import { AdaptiveAveragePooling2D } from '../customLayers';
import { NetBuilder, scaleChannels, type Trunk } from './builder';

export type VggDepth = 11 | 16 | 19;

const CFGS: Record<VggDepth, (number | 'M')[]> = {
  11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

export function buildVgg(b: NetBuilder, depth: VggDepth, withClassifier: boolean, inputSize: number, width: number): Trunk {
  const input = b.input(inputSize);
  let x = input;
  let index = 0; // torchvision's index into `features` (conv, relu, pool each take one slot)
  for (const v of CFGS[depth]) {
    if (v === 'M') {
      x = b.maxPool(x, `features_${index}`, 2, 2);
      index += 1;
    } else {
      // ReLU fused into the conv: it is torchvision's features_{index+1}.
      x = b.conv(x, `features_${index}`, { filters: scaleChannels(v, width), kernel: 3, padding: 1, bias: true, activation: 'relu' });
      index += 2;
    }
  }
  if (!withClassifier) return { input, features: b.globalAvgPool(x, 'avgpool') };

  x = new AdaptiveAveragePooling2D({ outputSize: 7, name: b.name('avgpool') }).apply(x) as typeof x;
  x = b.flatten(x, 'flatten');
  const hidden = scaleChannels(4096, width);
  x = b.dense(x, 'classifier_0', hidden, 'relu');
  x = b.dropout(x, 'classifier_2', 0.5);
  x = b.dense(x, 'classifier_3', hidden, 'relu');
  x = b.dropout(x, 'classifier_5', 0.5);
  return { input, features: x };
}
