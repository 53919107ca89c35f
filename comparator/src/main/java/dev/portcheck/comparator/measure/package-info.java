/**
 * Measurement of aligned rows: per-model statistics ({@link
 * dev.portcheck.comparator.measure.Summary}, or a recorded {@link
 * dev.portcheck.comparator.measure.Sketch}), the difference of each model from the reference
 * ({@link dev.portcheck.comparator.measure.ActivationDiff}: element by element, or against recorded
 * summaries, which have no cosine), and the static checks that produce attribute and weight
 * findings ({@link dev.portcheck.comparator.measure.AttributeComparer}, {@link
 * dev.portcheck.comparator.measure.WeightComparer}, by values or by checksums).
 */
package dev.portcheck.comparator.measure;
