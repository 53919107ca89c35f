package dev.portcheck.comparator.labels;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The label verdict for two models.
 *
 * @param models the two model ids, first then second
 * @param verdict how their label files relate
 * @param offset for {@link LabelVerdict#OFFSET}: by how many entries every name is off (always
 *     positive; the hint says which file or model has the extra leading or trailing entries); null
 *     otherwise
 * @param permutation when the outputs are reordered ({@link LabelVerdict#PERMUTED}, or {@link
 *     LabelVerdict#CONSISTENT} with labels that follow): for each output index of the first model,
 *     the index of the same class in the second model; null otherwise
 * @param hint what happened and how to fix it, in one or two sentences
 * @param examples at most three concrete cases, e.g. {@code probe 3: m0 says 'tabby cat', m1 says
 *     'tench'}
 * @param counts the label files of the two whose length differs from their model's output count,
 *     with where the names are missing or to spare; empty when both fit their models
 */
public record LabelPair(
    List<String> models,
    LabelVerdict verdict,
    Integer offset,
    List<Integer> permutation,
    String hint,
    List<String> examples,
    List<LabelCount> counts) {
  /** Copies the lists; {@code offset} and {@code permutation} may be null. */
  public LabelPair {
    models = List.copyOf(models);
    Objects.requireNonNull(verdict, "verdict");
    permutation = permutation == null ? null : List.copyOf(permutation);
    Objects.requireNonNull(hint, "hint");
    examples = List.copyOf(examples);
    counts = List.copyOf(counts);
  }

  /** A pair whose label files both fit their models' output counts. */
  public LabelPair(
      List<String> models,
      LabelVerdict verdict,
      Integer offset,
      List<Integer> permutation,
      String hint,
      List<String> examples) {
    this(models, verdict, offset, permutation, hint, examples, List.of());
  }

  /**
   * A JSON-ready view: {@code {models, verdict, offset, permutation, hint, examples, counts:
   * [{model, file, names, outputs, start, end, description}]}}.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("models", new ArrayList<>(models));
    m.put("verdict", verdict.name());
    m.put("offset", offset);
    m.put("permutation", permutation == null ? null : new ArrayList<>(permutation));
    m.put("hint", hint);
    m.put("examples", new ArrayList<>(examples));
    m.put("counts", counts.stream().map(LabelCount::toMap).toList());
    return m;
  }
}
