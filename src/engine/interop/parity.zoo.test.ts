/**
 * Parity of the zoo with real torchvision (Debian's python3-torch 1.13, torchvision 0.14, onnx) on
 * the CPU backend: ResNets, DenseNets, EfficientNets and MobileNetV2. testing/parity.ts (`zooParity`) says what is
 * compared and to which bound. COHORT_PARITY_ARCHS=families or a list narrows it. Without
 * python3-torch the suite is skipped with a loud message, never silently.
 */
import { ARCHS } from '../../core/archs';
import { zooParitySuite } from './testing/parity';

zooParitySuite(
  'ResNets, DenseNets, EfficientNets and MobileNetV2',
  ARCHS.filter((a) => !a.startsWith('vgg')),
);
