/**
 * Layer-by-layer comparison of two or three models of any framework mix, or of a model with a
 * recorded baseline: {@link dev.portcheck.comparator.ModelComparison} runs the pipeline, whose
 * stages each have their package, in dependency order from the bottom:
 *
 * <ol>
 *   <li>{@code report}: the result's immutable records (rows, metrics, typed findings);
 *   <li>{@code probe}: identical inputs for every model, converted between layouts;
 *   <li>{@code align}: which layer of each model stands for which (parameter names, values or
 *       checksums, folds, op order, dataflow, names);
 *   <li>{@code measure}: per-layer statistics, activation differences (element-wise or against
 *       recorded summaries) and the attribute and weight checks.
 * </ol>
 *
 * <p>This package holds the pipeline and its options; a {@link dev.portcheck.comparator.Recording}
 * is a model known from what was recorded (a baseline), compared through the same pipeline. The
 * renderers are in {@code output}; baselines, label checks and feature maps have their own
 * packages.
 */
package dev.portcheck.comparator;
