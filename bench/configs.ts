/**
 * The benchmark's configurations: the paper's cohorts (docs/METHOD.md, Table 1) at 224 px, their Quick
 * presets (width 0.25, 64 px), tiny ones for counting dispatches on a CPU rasteriser (counts do not
 * depend on image size or width), and `tiny`, a smoke test.
 */
export interface BenchConfig {
  id: string;
  teacher: string;
  students: string[];
  inputSize: number;
  width: number;
  batch: number;
}

const V1 = { teacher: 'resnet152', students: ['resnet50', 'resnet34'] };
const V2 = { teacher: 'resnet152', students: ['vgg16', 'vgg19'] };
const V3 = { teacher: 'densenet201', students: ['efficientnet_b0', 'efficientnet_b1'] };

export const CONFIGS: Record<string, BenchConfig> = {
  v1: { id: 'v1', ...V1, inputSize: 224, width: 1, batch: 16 },
  v2: { id: 'v2', ...V2, inputSize: 224, width: 1, batch: 16 },
  v3: { id: 'v3', ...V3, inputSize: 224, width: 1, batch: 16 },
  'v1-quick': { id: 'v1-quick', ...V1, inputSize: 64, width: 0.25, batch: 16 },
  'v2-quick': { id: 'v2-quick', ...V2, inputSize: 64, width: 0.25, batch: 16 },
  'v3-quick': { id: 'v3-quick', ...V3, inputSize: 64, width: 0.25, batch: 16 },
  'v1-tiny': { id: 'v1-tiny', ...V1, inputSize: 32, width: 0.125, batch: 4 },
  'v2-tiny': { id: 'v2-tiny', ...V2, inputSize: 32, width: 0.125, batch: 4 },
  'v3-tiny': { id: 'v3-tiny', ...V3, inputSize: 32, width: 0.125, batch: 4 },
  tiny: { id: 'tiny', teacher: 'resnet18', students: ['resnet18', 'mobilenet_v2'], inputSize: 32, width: 0.125, batch: 4 },
};

export function resolveConfigs(list: string, overrides: Partial<Pick<BenchConfig, 'inputSize' | 'width' | 'batch'>>): BenchConfig[] {
  return list
    .split(',')
    .filter(Boolean)
    .map((id) => {
      const c = CONFIGS[id];
      if (!c) throw new Error(`unknown config "${id}"; known: ${Object.keys(CONFIGS).join(', ')}`);
      return { ...c, ...overrides };
    });
}
