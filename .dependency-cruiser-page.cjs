/**
 * What the page's bundle may reach from src/main.tsx: never TensorFlow.js (it loads only in the
 * workers, which the page starts by URL, not by import). Type-only imports are erased before the
 * check, as they are from the bundle.
 */
module.exports = {
  forbidden: [
    {
      name: 'page-without-tfjs',
      comment: 'TensorFlow.js must not enter the main thread: it belongs in the workers.',
      severity: 'error',
      from: { path: '^src/main\\.tsx$' },
      to: { path: 'node_modules/@tensorflow/', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
