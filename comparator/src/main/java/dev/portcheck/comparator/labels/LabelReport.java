package dev.portcheck.comparator.labels;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The label check of several models: the {@code labels} section of the compare JSON.
 *
 * @param verdict the worst pair's verdict ({@link LabelVerdict} is declared worst first)
 * @param pairs one entry per compared pair
 * @param models the model ids, in the order given
 * @param lint each model's label file checked against its own output size, parallel to {@code
 *     models}
 */
public record LabelReport(
    LabelVerdict verdict, List<LabelPair> pairs, List<String> models, List<LabelLintReport> lint) {
  /** Copies the lists; {@code models} and {@code lint} must be equally long. */
  public LabelReport {
    Objects.requireNonNull(verdict, "verdict");
    pairs = List.copyOf(pairs);
    models = List.copyOf(models);
    lint = List.copyOf(lint);
    if (models.size() != lint.size()) {
      throw new IllegalArgumentException(models.size() + " models but " + lint.size() + " lints");
    }
  }

  /**
   * A JSON-ready view: {@code {verdict, pairs: [{models, verdict, offset, permutation, hint,
   * examples}], lint: [{model, source, names, outputs, findings}]}}.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("verdict", verdict.name());
    m.put("pairs", pairs.stream().map(LabelPair::toMap).toList());
    List<Map<String, Object>> l = new ArrayList<>();
    for (int i = 0; i < lint.size(); i++) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("model", models.get(i));
      e.putAll(lint.get(i).toMap());
      l.add(e);
    }
    m.put("lint", l);
    return m;
  }
}
