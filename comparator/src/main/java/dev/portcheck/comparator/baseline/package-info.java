/**
 * Baselines: a model's recorded behaviour ({@link dev.portcheck.comparator.baseline.Baseline},
 * written by {@link dev.portcheck.comparator.baseline.Snapshotter} as versioned JSON through {@link
 * dev.portcheck.comparator.baseline.BaselineFormat}) and the check of a model against it ({@link
 * dev.portcheck.comparator.baseline.BaselineChecker}): the comparison itself, with the baseline as
 * a recorded reference ({@link dev.portcheck.comparator.Recording}), so that it returns the same
 * {@link dev.portcheck.comparator.report.ComparisonReport} and every renderer serves both.
 *
 * <p>A baseline keeps summaries, not tensors: per layer and probe the mean, std, min, max and a
 * quantile sketch; per parameter a checksum in the canonical layout; small model outputs in full.
 * Summaries do not depend on the layout, so a baseline recorded from a PyTorch model can check its
 * ONNX or TensorFlow export.
 */
package dev.portcheck.comparator.baseline;
