/**
 * Layer-by-layer comparison of two or three models of any framework mix: probe inputs ({@link
 * dev.portcheck.comparator.Probes}), layer alignment ({@link dev.portcheck.comparator.Aligner}),
 * per-layer numbers, attribute and weight checks, and the first divergence with its cause ({@link
 * dev.portcheck.comparator.Comparator}). Results are immutable records in graph order; renderers
 * live in {@code dev.portcheck.comparator.output}.
 */
package dev.portcheck.comparator;
