/**
 * Entry of the trainer's language server (bundled to dist/server.js). The extension starts it
 * with vscode-languageclient over IPC; everything else lives in TrainerServer.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { TrainerServer } from './trainerServer';

const connection = createConnection(ProposedFeatures.all);
new TrainerServer().listen(connection);
