/**
 * "SKD: Install Native Backend (tfjs-node)": installs @tensorflow/tfjs-node or -node-gpu with npm
 * into the extension's global storage (`<globalStorage>/native`), shows npm's output in the
 * trainer log, and on success points `skdLab.tfjsNodePath` at that folder (which restarts the
 * trainer with it). A failure is one message that says what failed and that training goes on
 * with the wasm backend.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { NATIVE_PACKAGES, type NativePackage, TFJS_NODE_PATH_SETTING } from '../../protocol/nativeBackend';
import { CONFIG_SECTION, Commands } from '../constants';
import { Disposer } from '../util/disposable';
import { classifyNpmFailure, npmFailureMessage } from './npmFailure';
import { NpmInstall } from './npmInstall';

interface Choice extends vscode.QuickPickItem {
  pkg: NativePackage;
}

const CHOICES: readonly Choice[] = [
  { label: 'CPU', description: NATIVE_PACKAGES.cpu, detail: 'TensorFlow on the CPU: Linux, macOS and Windows (x64).', pkg: NATIVE_PACKAGES.cpu },
  { label: 'GPU (CUDA)', description: NATIVE_PACKAGES.gpu, detail: 'TensorFlow on an NVIDIA GPU: Linux x64 with CUDA 11.2 and cuDNN 8.1.', pkg: NATIVE_PACKAGES.gpu },
];

export class NativeBackendInstaller implements vscode.Disposable {
  /** The running install, if any: disposing the installer ends it. */
  private readonly running = new Disposer();
  private busy = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Where the packages go: `npm install --prefix` puts them under its `node_modules/`. */
  folder(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'native');
  }

  /**
   * The version to install: the tf.js core SKD Lab bundles, so the native backend registers
   * kernels for the same tf.js it runs with.
   */
  private version(): string | undefined {
    const deps = (this.context.extension.packageJSON as { dependencies?: Record<string, string> }).dependencies;
    const v = deps?.['@tensorflow/tfjs-core'];
    return v && /^\d+\.\d+\.\d+$/.test(v) ? v : undefined;
  }

  async run(): Promise<boolean> {
    if (this.busy) {
      void vscode.window.showInformationMessage('SKD Lab: a native backend is already being installed.');
      return false;
    }
    const choice = await vscode.window.showQuickPick(CHOICES, { title: 'Install Native Backend (tfjs-node)', placeHolder: 'Which TensorFlow build?' });
    if (!choice) return false;
    this.busy = true;
    try {
      return await this.install(choice.pkg);
    } finally {
      this.busy = false;
    }
  }

  private async install(pkg: NativePackage): Promise<boolean> {
    const folder = this.folder();
    fs.mkdirSync(folder, { recursive: true });
    const version = this.version();
    const spec = version ? `${pkg}@${version}` : pkg;
    this.log.info(`Installing ${spec} into ${folder} (npm install --no-save --prefix ${folder} ${spec})`);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SKD Lab: installing ${pkg}`, cancellable: true },
      async (_progress, token) => {
        const npm = this.running.track(new NpmInstall({ prefix: folder, spec, onLine: (line) => line.trim() && this.log.info(`npm: ${line}`) }));
        const cancel = token.onCancellationRequested(() => npm.dispose());
        try {
          return await npm.done;
        } finally {
          cancel.dispose();
          this.running.untrack(npm);
        }
      },
    );
    if (result.cancelled) {
      this.log.warn(`Installing ${pkg} was cancelled.`);
      return false;
    }
    const installed = result.code === 0 && fs.existsSync(path.join(folder, 'node_modules', ...pkg.split('/'), 'package.json'));
    if (!installed) {
      const text = result.spawnError
        ? `Installing ${pkg} failed: npm could not be started (${result.spawnError}); it comes with Node.js. Training goes on with the wasm backend.`
        : npmFailureMessage(pkg, classifyNpmFailure(result.output));
      this.log.error(text);
      const pick = await vscode.window.showErrorMessage(`SKD Lab: ${text}`, 'Show Trainer Log');
      if (pick) void vscode.commands.executeCommand(Commands.showTrainerLog);
      return false;
    }
    // The setting change restarts the trainer, which then finds the package (extension.ts).
    await vscode.workspace.getConfiguration(CONFIG_SECTION).update(TFJS_NODE_PATH_SETTING, folder, vscode.ConfigurationTarget.Global);
    const backend = pkg === NATIVE_PACKAGES.gpu ? 'tensorflow-gpu' : 'tensorflow';
    const text = `${pkg} is installed in ${folder}. Runs whose backend is "auto" or "${backend}" now use it.`;
    this.log.info(text);
    void vscode.window.showInformationMessage(`SKD Lab: ${text}`);
    return true;
  }

  dispose(): void {
    this.running.dispose();
  }
}
