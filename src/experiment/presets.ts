/**
 * The paper's configurations (docs/METHOD.md, Table 1) and their Quick versions for laptops (smaller
 * input and width multiplier), as partial experiment specs.
 */
import type { NetworkChoice } from '../core/config';

export interface Preset {
  id: string;
  label: string;
  teacher: NetworkChoice;
  students: NetworkChoice[];
  inputSize: number;
  note?: string;
}

const V = {
  v1: { teacher: 'resnet152', students: ['resnet50', 'resnet34'] },
  v2: { teacher: 'resnet152', students: ['vgg16', 'vgg19'] },
  v2nofc: { teacher: 'resnet152', students: ['vgg16_nofc', 'vgg19_nofc'] },
  v3: { teacher: 'densenet201', students: ['efficientnet_b0', 'efficientnet_b1'] },
} as const;

export const QUICK_WIDTH = 0.25;
export const QUICK_SIZE = 64;

function make(id: keyof typeof V, label: string, quick: boolean, note?: string): Preset {
  const w = quick ? QUICK_WIDTH : 1;
  return {
    id: quick ? `${id}-quick` : id,
    label: quick ? `${label} Quick` : label,
    teacher: { arch: V[id].teacher, width: w },
    students: V[id].students.map((arch) => ({ arch, width: w })),
    inputSize: quick ? QUICK_SIZE : 224,
    note,
  };
}

export const PRESETS: Preset[] = [
  make('v1', 'V1', false, 'ResNet152 teacher; ResNet50 and ResNet34 students'),
  make('v2', 'V2', false, 'ResNet152 teacher; VGG16 and VGG19 students with torchvision’s classifier (larger than the teacher)'),
  make(
    'v2nofc',
    'V2 (VGG without FC)',
    false,
    'VGG16 and VGG19 without the fully-connected classifier: 40.3 % fewer parameters than the teacher (the paper reports 47 %)',
  ),
  make('v3', 'V3', false, 'DenseNet201 teacher; EfficientNet-B0 and B1 students'),
  make('v1', 'V1', true, `input ${QUICK_SIZE} px, width ×${QUICK_WIDTH}`),
  make('v2', 'V2', true, `input ${QUICK_SIZE} px, width ×${QUICK_WIDTH}`),
  make('v2nofc', 'V2 (VGG without FC)', true, `input ${QUICK_SIZE} px, width ×${QUICK_WIDTH}`),
  make('v3', 'V3', true, `input ${QUICK_SIZE} px, width ×${QUICK_WIDTH}`),
];

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
