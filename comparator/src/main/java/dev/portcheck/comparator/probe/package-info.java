/**
 * Probe inputs: how each is filled ({@link dev.portcheck.comparator.probe.ProbeSpec}: ones, zeros,
 * seeded random, {@code .npy} samples from a file or from memory) and {@link
 * dev.portcheck.comparator.probe.Probes}, which resolves every input's shape, type and layout
 * across models and builds identical inputs for each, transposed for channels-last models.
 */
package dev.portcheck.comparator.probe;
