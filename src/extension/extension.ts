/**
 * SKD Lab's entry point: builds the object graph (trainer client, run store, tree, status bar,
 * panels, commands), owns it through one Disposer, and returns the plugin API.
 */
import * as vscode from 'vscode';
import { BenchCommands } from './benches/benchCommands';
import { CONFIG_SECTION, Commands, Views } from './constants';
import { Panels } from './dashboard/panels';
import { ExportCommand } from './export/exportStudent';
import { SendToDevice } from './export/sendToDevice';
import { TrainerClient } from './languageClient/trainerClient';
import { NativeBackendInstaller } from './native/installNative';
import { TFJS_NODE_PATH_KEY } from './native/tfjsNodePath';
import { PluginRegistry, type PluginKind } from './plugins/pluginRegistry';
import { ExperimentsTreeProvider } from './runs/experimentsTree';
import { RunCommands } from './runs/runCommands';
import { RunEndNotifier } from './runs/runEndNotifier';
import { RunStatusBar } from './runs/statusBar';
import { RunStore } from './runs/runStore';
import { trainerSettings } from './settings';
import { SweepCommands } from './sweeps/sweepCommands';
import { newExperiment } from './templates/newExperiment';
import { Disposer } from './util/disposable';

export interface SkdLabExtensionApi {
  registerPlugin(kind: PluginKind, modulePath: string): vscode.Disposable;
}

let trainer: TrainerClient | undefined;

export function activate(context: vscode.ExtensionContext): SkdLabExtensionApi {
  const disposer = new Disposer();
  context.subscriptions.push(disposer);

  const log = disposer.track(vscode.window.createOutputChannel('SKD Trainer', { log: true }));
  const plugins = disposer.track(new PluginRegistry());
  const client = disposer.track(new TrainerClient(context, log, () => trainerSettings(plugins.modules())));
  trainer = client;
  const store = disposer.track(new RunStore());
  // Run commands and panels call each other; the commands reach the panels only when invoked,
  // so the panels can be built complete, with their actions, after them.
  const runs: RunCommands = new RunCommands({
    trainer: client,
    store,
    openDashboard: (dir, preserveFocus) => panels.openDashboard(dir, preserveFocus),
    openCompare: (dirs) => panels.openCompare(dirs),
  });
  const exporter = new ExportCommand(client, store);
  const panels: Panels = disposer.track(
    new Panels(client, store, context.extensionUri, {
      stop: (dir) => runs.stopRun(dir),
      resume: (dir) => runs.resumeRun(dir),
      exportStudent: (dir) => exporter.run(dir),
    }),
  );
  const device = disposer.track(new SendToDevice(context, client, store));
  const nativeBackend = disposer.track(new NativeBackendInstaller(context, log));

  const tree = disposer.track(new ExperimentsTreeProvider(store, (line) => log.warn(line)));
  // Sweeps and method benches run `skd` jobs on folders of runs, each with its output channel.
  const folderJobs = (channel: string) => ({
    extensionPath: context.extensionUri.fsPath,
    store,
    tree,
    output: disposer.track(vscode.window.createOutputChannel(channel, { log: true })),
    refresh: () => runs.refresh(),
    openCompare: (dirs: string[]) => panels.openCompare(dirs),
  });
  const sweeps = disposer.track(new SweepCommands(folderJobs('SKD Sweeps')));
  const benches = disposer.track(new BenchCommands(folderJobs('SKD Benches')));
  disposer.track(vscode.window.createTreeView(Views.experiments, { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true }));
  disposer.track(new RunStatusBar(store));

  const register = (id: string, fn: (...args: unknown[]) => unknown): void => {
    disposer.track(vscode.commands.registerCommand(id, fn));
  };
  register(Commands.newExperiment, (template) => newExperiment(context, template));
  register(Commands.runExperiment, (arg) => runs.runExperiment(arg));
  register(Commands.stopRun, (arg) => runs.stopRun(arg));
  register(Commands.resumeRun, (arg) => runs.resumeRun(arg));
  register(Commands.openDashboard, (arg) => runs.openDashboard(arg));
  register(Commands.compareRuns, (first, second) => runs.compareRuns(first, second));
  register(Commands.exportStudent, (arg, options) => exporter.run(arg, options));
  register(Commands.sendToDevice, (arg) => device.run(arg));
  register(Commands.showTrainerLog, () => log.show());
  register(Commands.installNativeBackend, () => nativeBackend.run());
  register(Commands.runSweep, (arg) => sweeps.runSweep(arg));
  register(Commands.stopSweep, (arg) => sweeps.stop(arg));
  register(Commands.compareSweep, (arg) => sweeps.compareSweep(arg));
  register(Commands.runBench, (arg) => benches.runBench(arg));
  register(Commands.stopBench, (arg) => benches.stop(arg));
  register(Commands.compareBench, (arg) => benches.compareBench(arg));
  register(Commands.refreshRuns, async () => {
    if (!client.running) await client.start().catch((err: unknown) => log.error(`trainer did not start: ${String(err)}`));
    await tree.scanExperiments();
    return runs.refresh();
  });

  // Live updates from the trainer; a (re)started trainer gets a fresh listing.
  const runEnds = new RunEndNotifier(
    {
      openDashboard: (dir) => panels.openDashboard(dir),
      exportStudent: (dir) => exporter.run(dir),
      resume: (dir) => runs.resumeRun(dir),
    },
    // A sweep's or bench's runs: the job says once how it ended, with its comparison.
    (dir) => tree.inRunningFolder(dir),
  );
  disposer.track(
    client.onRunStatus((info) => {
      store.update(info);
      runEnds.observe(info);
    }),
  );
  disposer.track(client.onMetrics((p) => store.addEvents(p.dir, p.events)));
  disposer.track(client.onReady(() => void runs.refresh()));

  disposer.track(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration(CONFIG_SECTION)) return;
      // The Node executable and the native backend's folder are fixed for a trainer process.
      if (e.affectsConfiguration(`${CONFIG_SECTION}.nodePath`) || e.affectsConfiguration(TFJS_NODE_PATH_KEY)) await client.restart();
      else await client.sendSettings();
      if (e.affectsConfiguration(`${CONFIG_SECTION}.runsFolder`)) await runs.refresh();
    }),
  );
  // Trust granted: the trainer may now train and load plugins (and use the workspace's node).
  disposer.track(vscode.workspace.onDidGrantWorkspaceTrust(() => void client.restart()));
  disposer.track(plugins.onDidChange(() => void client.sendSettings()));

  void tree.scanExperiments();
  client.start().catch((err: unknown) => {
    log.error(`The SKD trainer did not start: ${err instanceof Error ? err.message : String(err)}`);
    void vscode.window.showErrorMessage('SKD Lab: the trainer did not start.', 'Show Trainer Log').then((c) => c && log.show());
  });

  return {
    registerPlugin(kind, modulePath) {
      const registration = plugins.register(kind, modulePath);
      return new vscode.Disposable(() => registration.dispose());
    },
  };
}

export function deactivate(): Thenable<void> | undefined {
  const client = trainer;
  trainer = undefined;
  return client?.stop();
}
