/** The export tests' students and run directories: the export benchmark's synthetic ones. */
export * from '../../../src/trainer/bench/syntheticStudents';
