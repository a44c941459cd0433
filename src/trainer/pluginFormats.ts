import { registerDataFormat } from './data';
import { registerExportFormat } from './export';
import type { FormatRegistrars } from './plugins';

/**
 * The data and export format registries, for the plugin loader in processes that read data
 * or export (the command line and its runs); the language server loads plugins without them.
 */
export const RUN_FORMATS: FormatRegistrars = {
  dataFormat: registerDataFormat,
  exportFormat: registerExportFormat,
};
