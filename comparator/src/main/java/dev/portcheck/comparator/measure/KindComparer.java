package dev.portcheck.comparator.measure;

import dev.portcheck.comparator.align.Aligner;
import dev.portcheck.comparator.report.AttributeMismatch;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.OpKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Structural findings of a row that alignment placed by position rather than by kind: layers of
 * different kinds at the same place (a max pooling ported as an average pooling, one activation for
 * another), and a layer one model has where the other has none. They are reported as attributes of
 * the row ({@code pooling}, {@code activation}, {@code layer}) so that every renderer words them
 * like other attribute findings.
 */
public final class KindComparer {
  /** The attribute naming a layer one model has and the other lacks; the absent side is "none". */
  public static final String LAYER = "layer";

  /** The value standing for the model that has no layer at the row's place. */
  public static final String NONE = "none";

  private KindComparer() {}

  /** The kind differences of a row whose layers were paired by place, first model that differs. */
  public static List<AttributeMismatch> compare(Aligner.Row row) {
    Layer ref = row.layer(0);
    if (ref == null) {
      return List.of();
    }
    for (int k = 1; k < row.modelCount(); k++) {
      Layer l = row.layer(k);
      if (l == null || l.kind() == ref.kind()) {
        continue;
      }
      Optional<String> attribute = attribute(ref.kind(), l.kind());
      if (attribute.isEmpty()) {
        continue;
      }
      Map<String, String> names = new LinkedHashMap<>();
      Map<String, AttributeValue> values = new LinkedHashMap<>();
      names.put(ModelRef.idOf(0), ref.name());
      names.put(ModelRef.idOf(k), l.name());
      values.put(ModelRef.idOf(0), AttributeValue.of(word(ref.kind())));
      values.put(ModelRef.idOf(k), AttributeValue.of(word(l.kind())));
      return List.of(new AttributeMismatch(names, attribute.get(), values, null));
    }
    return List.of();
  }

  /**
   * The finding for a row where one model has no layer ({@link Aligner.Row#absent}): the present
   * layer's op type against {@link #NONE}, reference first.
   */
  public static Optional<AttributeMismatch> absence(Aligner.Row row) {
    for (int k = 0; k < row.modelCount(); k++) {
      if (!row.absent(k)) {
        continue;
      }
      Map<String, String> names = new LinkedHashMap<>();
      Map<String, AttributeValue> values = new LinkedHashMap<>();
      for (int m = 0; m < row.modelCount(); m++) {
        Layer l = row.layer(m);
        if (l != null) {
          names.put(ModelRef.idOf(m), l.name());
          values.put(ModelRef.idOf(m), AttributeValue.of(l.opType()));
        } else if (m == k) {
          values.put(ModelRef.idOf(m), AttributeValue.of(NONE));
        }
      }
      // The reference's value comes first: a renderer reads it as the expected one.
      Map<String, AttributeValue> ordered = new LinkedHashMap<>();
      values.entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> ordered.put(e.getKey(), e.getValue()));
      return Optional.of(new AttributeMismatch(names, LAYER, ordered, null));
    }
    return Optional.empty();
  }

  private static Optional<String> attribute(OpKind p, OpKind q) {
    if (pooling(p) && pooling(q)) {
      return Optional.of("pooling");
    }
    if (!pooling(p) && !pooling(q) && !p.hasWeights() && !q.hasWeights()) {
      return Optional.of("activation");
    }
    return Optional.empty();
  }

  private static boolean pooling(OpKind k) {
    return k == OpKind.MAX_POOL || k == OpKind.AVG_POOL;
  }

  /** {@code max}, {@code average}, or the activation's name ({@code relu}, {@code gelu}). */
  private static String word(OpKind k) {
    return switch (k) {
      case MAX_POOL -> "max";
      case AVG_POOL -> "average";
      default -> k.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    };
  }
}
