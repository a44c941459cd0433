/** The assembled kernels.wat. */
export function assembleKernels(): Promise<Buffer>;
/** simdModule.ts's text for these bytes. */
export function moduleSource(bytes: Buffer): string;
