/**
 * The comparison's result as immutable records, at the bottom of the comparator's dependency order:
 * the {@link dev.portcheck.comparator.report.ComparisonReport} with its layer rows, metrics, probes
 * and folds, and the typed findings ({@link dev.portcheck.comparator.report.Finding}: attribute,
 * weight of a catalogued {@link dev.portcheck.comparator.report.WeightKind}, activation, output)
 * that renderers word. Nothing here computes a comparison.
 */
package dev.portcheck.comparator.report;
