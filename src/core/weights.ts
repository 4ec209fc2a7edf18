/**
 * Where a network's initial weights came from, as plain data for events, results.json, the bundle
 * and the Configure screen: random from the run's seed, or a torchvision state dict file (with the
 * number of tensors taken from it, and why the head started from the seed where it did).
 *
 * Owns: `WeightsSource`, `weightsLabel`. Imports nothing.
 */
export type WeightsSource =
  | { kind: 'seeded' }
  | {
      kind: 'file';
      /** The file as the spec names it (`teacher.weights`, `students[k].weights`). */
      file: string;
      format: 'safetensors' | 'pytorch';
      /** Tensors set from the file. */
      loaded: number;
      /** Why the head kept its seeded weights (another class count), or null when it was loaded too. */
      headReinitialised: string | null;
    };

export const SEEDED: WeightsSource = { kind: 'seeded' };

/** "random (seeded)" or "from imagenet.pth (head from the seed: 1000 -> 2 outputs)". */
export function weightsLabel(s: WeightsSource | undefined): string {
  if (!s || s.kind === 'seeded') return 'random (seeded)';
  return `from ${s.file}${s.headReinitialised ? ` (${s.headReinitialised})` : ''}`;
}
