/** Defensive reading of PyTorch zip archives (TorchScript and {@code torch.save}). */
package dev.portcheck.importers.pytorch.archive;
