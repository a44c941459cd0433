/**
 * The optional native tf.js backends and where SKD Lab looks for them. They cannot ship inside
 * the extension (their install downloads TensorFlow's C library for the machine), so a user
 * installs one into a folder of their choice, or lets "SKD: Install Native Backend" install it
 * into the extension's storage; the extension hands that folder to the trainer, and through it
 * to every run, in this environment variable. The command line reads the same variable.
 */
export const TFJS_NODE_PATH_ENV = 'SKD_TFJS_NODE_PATH';

/** The setting (under `skdLab.`) that names the folder. */
export const TFJS_NODE_PATH_SETTING = 'tfjsNodePath';

export type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

export const NATIVE_PACKAGES: Readonly<Record<'cpu' | 'gpu', NativePackage>> = {
  cpu: '@tensorflow/tfjs-node',
  gpu: '@tensorflow/tfjs-node-gpu',
};
