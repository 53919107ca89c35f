package dev.portcheck.comparator.labels;

import java.util.Objects;

/**
 * One model's classifier outputs on the shared probe inputs, with the label file it is scored
 * against.
 *
 * @param id how the model is called in messages (e.g. its file name)
 * @param scores {@code scores[probe][class]}: the raw outputs (logits or probabilities, the same
 *     kind for every model) on each probe; every model gets the same probes in the same order
 * @param labels the names of its outputs
 */
public record ScoredModel(String id, float[][] scores, LabelFile labels) {
  /** Checks that no component is null; shapes are checked by {@link LabelChecker}. */
  public ScoredModel {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(labels, "labels");
  }

  /** The number of outputs (classes): the width of the score rows. */
  public int classes() {
    return scores.length == 0 ? 0 : scores[0].length;
  }

  /** The name the model's label file gives output {@code c}, or null past its end. */
  String nameOf(int c) {
    return c >= 0 && c < labels.size() ? labels.names().get(c) : null;
  }

  /** {@link #nameOf} for messages: a missing name is spelled out. */
  String shownName(int c) {
    String n = nameOf(c);
    return n == null ? "<output " + c + " has no name>" : "'" + n + "'";
  }
}
