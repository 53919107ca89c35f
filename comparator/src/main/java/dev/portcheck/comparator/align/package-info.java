/**
 * Alignment: which layer of each model stands for which layer of the reference. {@link
 * dev.portcheck.comparator.align.Aligner} pairs each model with the reference, strongest evidence
 * first (shared parameter names, equal parameter values up to layout, a BatchNorm folded into a
 * conv, module paths in names, the op sequence between anchors, dataflow), and groups the pairs
 * into rows. The evidence about parameters comes from {@link
 * dev.portcheck.comparator.align.Weights}: for a model that holds values, order-independent
 * fingerprints of every parameter and, read again on demand, values in the canonical layout; {@link
 * dev.portcheck.comparator.align.Checksum}s for a recorded one. The public types here serve the
 * pipeline and the stages after it; the aligners themselves are package-private.
 */
package dev.portcheck.comparator.align;
