/** A restricted, non-executing unpickler for PyTorch checkpoints and tensor storages. */
package dev.portcheck.importers.pytorch.pickle;
