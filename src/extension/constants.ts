/** IDs the manifest (`package.json` contributes) and the code share; keep both in step. */
export const Commands = {
  newExperiment: 'skd.newExperiment',
  runExperiment: 'skd.runExperiment',
  stopRun: 'skd.stopRun',
  resumeRun: 'skd.resumeRun',
  openDashboard: 'skd.openDashboard',
  compareRuns: 'skd.compareRuns',
  exportStudent: 'skd.exportStudent',
  sendToDevice: 'skd.sendToDevice',
  showTrainerLog: 'skd.showTrainerLog',
  refreshRuns: 'skd.refreshRuns',
  runSweep: 'skd.runSweep',
  stopSweep: 'skd.stopSweep',
  compareSweep: 'skd.compareSweep',
  runBench: 'skd.runBench',
  stopBench: 'skd.stopBench',
  compareBench: 'skd.compareBench',
  installNativeBackend: 'skd.installNativeBackend',
} as const;

export const Views = {
  container: 'skdLab',
  experiments: 'skdLab.experiments',
} as const;

/** Context keys for `when` clauses. */
export const ContextKeys = {
  trainerRunning: 'skdLab.trainerRunning',
  hasActiveRun: 'skdLab.hasActiveRun',
} as const;

export const CONFIG_SECTION = 'skdLab';
export const EXPERIMENT_GLOB = '**/*.skd.json';
export const EXPERIMENT_SUFFIX = '.skd.json';
