/**
 * The walls between the rooms (ARCHITECTURE.md). Imports run one way:
 *
 *   core  <-  data, engine  <-  experiment  <-  worker  <-  store  <-  ui  <-  main.tsx
 *
 * with the command line (src/cli) and the benchmark (bench/) beside the page, importing from
 * core, data, engine and experiment only. `npm run lint` fails on any cycle, on any import from a
 * lower room to a higher one, and (with .dependency-cruiser-page.cjs) on any path from the page's
 * entry to TensorFlow.js. Type-only imports count here: a cycle of types is still a cycle.
 */
const room = (name) => `^src/${name}/`;
const upward = (from, ...to) => ({
  name: `no-upward-${from}`,
  comment: `${from}/ must not import ${to.join(', ')}/`,
  severity: 'error',
  from: { path: room(from) },
  to: { path: to.map(room) },
});

module.exports = {
  forbidden: [
    { name: 'no-cycle', comment: 'An import cycle (type-only imports included).', severity: 'error', from: {}, to: { circular: true } },
    upward('core', 'data', 'engine', 'experiment', 'worker', 'store', 'ui', 'cli'),
    upward('data', 'engine', 'experiment', 'worker', 'store', 'ui', 'cli'),
    upward('engine', 'data', 'experiment', 'worker', 'store', 'ui', 'cli'),
    upward('experiment', 'worker', 'store', 'ui', 'cli'),
    upward('worker', 'store', 'ui', 'cli'),
    upward('store', 'ui', 'cli'),
    upward('ui', 'engine', 'cli'),
    upward('cli', 'worker', 'store', 'ui'),
    {
      name: 'sw-stands-alone',
      comment: 'The service worker is built on its own (vite-plugins/serviceWorker.ts): it imports only src/sw/.',
      severity: 'error',
      from: { path: room('sw') },
      to: { pathNot: '^src/sw/' },
    },
    upward('core', 'sw'),
    {
      name: 'ui-through-the-store',
      comment: 'Screens reach the workers through store commands; they may read worker types only from worker/protocol.',
      severity: 'error',
      from: { path: room('ui') },
      to: { path: room('worker'), pathNot: '^src/worker/protocol\\.ts$' },
    },
    {
      name: 'core-is-plain',
      comment: 'core/ holds what the page may import: no TensorFlow.js, no React, no Node.',
      severity: 'error',
      from: { path: room('core') },
      to: {
        path: [
          'node_modules/(@tensorflow|react|react-dom|zustand|recharts|comlink|idb-keyval|fflate|webgpu)/',
          '^node:',
          '^(fs|path|os|child_process|worker_threads)$',
        ],
      },
    },
    {
      name: 'engine-data-no-dom-framework',
      comment: 'The engine and the import run in the worker and in Node: no React, no zustand.',
      severity: 'error',
      from: { path: ['^src/engine/', '^src/data/', '^src/experiment/'] },
      to: { path: 'node_modules/(react|react-dom|zustand|recharts)/' },
    },
    // @webgpu/types is a types-only package named in triple-slash references.
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true, pathNot: '^@webgpu/types$' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '\\.(test|gpu\\.test)\\.tsx?$|^src/data/testing/' },
  },
};
