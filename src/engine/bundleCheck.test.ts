import * as tf from '@tensorflow/tfjs';
import { strFromU8 } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHS } from '../core/archs';
import { modelToFiles } from './bundle';
import { checkManifest, checkModel } from './bundleCheck';
import { buildNetwork } from './networks';
import { manifestJson } from '../data/testing/hostile';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("a bundle's model.json, checked before tfjs builds it", () => {
  // Every network the zoo makes must pass: the layer walk knows each class and shape they use.
  for (const arch of ARCHS) {
    it(`${arch}: the weights the layers imply are exactly the ones listed`, async () => {
      const task = arch === 'mobilenet_v2' || arch === 'vgg11' ? 'box' : 'classify';
      const m = buildNetwork({ arch, width: 0.0625, task, classes: 3, inputSize: 32, seed: 1, name: 'student1' });
      const f = await modelToFiles(m);
      m.dispose();
      const json = JSON.parse(strFromU8(f['model.json']));
      const outputs = task === 'box' ? 4 : 3;
      expect(() => checkModel('student1', json, f['weights.bin'].length, { inputSize: 32, outputs })).not.toThrow();
      // The same model against a manifest that says otherwise is refused, naming the field.
      expect(() => checkModel('student1', json, f['weights.bin'].length, { inputSize: 64, outputs })).toThrow(/batch_input_shape/);
      expect(() => checkModel('student1', json, f['weights.bin'].length - 4, { inputSize: 32, outputs })).toThrow(/weights\.bin/);
    });
  }
});

describe("a bundle's ensemble.json", () => {
  it('names every bad field, and keeps fields it does not know', () => {
    expect(() => checkManifest(manifestJson({ addedLater: { anything: true } }))).not.toThrow();
    try {
      checkManifest(
        manifestJson({
          normalization: { mean: [0, 0], std: [1, 0, 1] },
          resize: 'crop',
          members: [{ name: '../x', arch: 'resnet18', width: 9, params: 1.5, path: 'a/b' }],
        }),
      );
      throw new Error('expected a refusal');
    } catch (e) {
      const fields = ((e as { details: { issues: { field: string }[] } }).details.issues ?? []).map((i) => i.field);
      expect(fields).toEqual([
        'members[0].name',
        'members[0].path',
        'members[0].width',
        'members[0].params',
        'normalization.mean',
        'normalization.std',
        'resize',
      ]);
    }
  });
});
