/**
 * Label-mapping check: does each model's label file name its outputs the way the other models'
 * files name theirs?
 *
 * <p>A port can be numerically perfect and still be scored against the wrong class names: a label
 * file sorted alphabetically instead of in training order, a leading {@code background} class
 * (TF-slim models have 1001 outputs for ImageNet's 1000 classes), or output rows permuted during
 * the port. {@link dev.portcheck.comparator.labels.LabelFiles} reads label files, {@link
 * dev.portcheck.comparator.labels.LabelLint} checks one file against one model's output size, and
 * {@link dev.portcheck.comparator.labels.LabelChecker} compares models pairwise from their output
 * scores on the same probe inputs (the caller runs the models; this package only sees numbers).
 */
package dev.portcheck.comparator.labels;
