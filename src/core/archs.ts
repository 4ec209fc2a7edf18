/**
 * The names of the architectures the zoo builds, and the task heads, without TensorFlow.js: the
 * main thread (configuration screens, spec validation) imports these and nothing heavier.
 */
export type Task = 'classify' | 'box';

export const ARCHS = [
  'resnet18',
  'resnet34',
  'resnet50',
  'resnet101',
  'resnet152',
  'vgg11',
  'vgg16',
  'vgg19',
  'vgg11_nofc',
  'vgg16_nofc',
  'vgg19_nofc',
  'densenet121',
  'densenet201',
  'efficientnet_b0',
  'efficientnet_b1',
  'mobilenet_v2',
] as const;
export type Arch = (typeof ARCHS)[number];

export function isArch(s: string): s is Arch {
  return (ARCHS as readonly string[]).includes(s);
}
