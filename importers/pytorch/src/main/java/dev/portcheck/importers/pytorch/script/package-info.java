/**
 * TorchScript code: class index, module tree, attribute reading, the recording rewrite, and the DJL
 * runner.
 */
package dev.portcheck.importers.pytorch.script;
