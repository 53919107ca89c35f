/**
 * PyTorch importer: TorchScript archives run through libtorch (DJL), {@code torch.save} state_dicts
 * read as parameters only. Pickles are read by a restricted unpickler that never executes code.
 */
package dev.portcheck.importers.pytorch;
