package dev.portcheck.comparator.probe;

import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.ParameterInfo;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the embedding table an integer input indexes, for ids that every model can look up: the
 * rows of the Gather or Embedding layer that consumes the input (through casts and reshapes).
 */
final class EmbeddingTables {
  /** How many layers without parameters may lie between an input and its table (Cast, Reshape). */
  private static final int MAX_HOPS = 4;

  private EmbeddingTables() {}

  /**
   * The fewest rows among the tables that the input (named {@code names.get(m)} in model {@code m})
   * indexes, so that ids below it are valid in every model; null when no model shows a table. Where
   * no graph leads to a table (TorchScript keeps no dataflow; TensorFlow reads through ops that are
   * not layers), an input that holds ids ({@code fallbackToFirst}) takes the first table of the
   * model: the token table comes first in every embedding layer Hugging Face writes.
   */
  static Long rowsIndexedBy(List<ModelView> models, List<String> names, boolean fallbackToFirst) {
    Long viaGraph = null;
    Long first = null;
    for (int m = 0; m < models.size(); m++) {
      if (names.get(m) == null) {
        continue;
      }
      Long rows = throughGraph(models.get(m), names.get(m));
      if (rows != null) {
        viaGraph = viaGraph == null ? rows : Math.min(viaGraph, rows);
      }
      Long f = fallbackToFirst ? firstTable(models.get(m)) : null;
      if (f != null) {
        first = first == null ? f : Math.min(first, f);
      }
    }
    return viaGraph != null ? viaGraph : first;
  }

  private static Long throughGraph(ModelView model, String input) {
    Set<String> reached = new HashSet<>(List.of(input, input + ":0"));
    Deque<String> frontier = new ArrayDeque<>(reached);
    for (int hop = 0; hop < MAX_HOPS && !frontier.isEmpty(); hop++) {
      Deque<String> next = new ArrayDeque<>();
      for (Layer l : model.layers()) {
        int at = -1;
        for (int i = 0; i < l.inputs().size() && at < 0; i++) {
          if (frontier.contains(l.inputs().get(i))) {
            at = i;
          }
        }
        if (at < 0) {
          continue;
        }
        Long rows = isTable(model, l) ? rows(model, l, at) : null;
        if (rows != null) {
          return rows;
        }
        if (l.parameters().isEmpty()) {
          for (String o : l.outputs()) {
            if (reached.add(o)) {
              next.add(o);
            }
          }
        }
      }
      frontier = next;
    }
    return null;
  }

  private static Long firstTable(ModelView model) {
    for (Layer l : model.layers()) {
      if (isTable(model, l)) {
        Long rows = rows(model, l, -1);
        if (rows != null) {
          return rows;
        }
      }
    }
    return null;
  }

  /** A lookup, as its importer declares it; whether it reads a 2-D table {@link #rows} decides. */
  private static boolean isTable(ModelView model, Layer l) {
    return model.roles(l).contains(OpRole.LOOKUP);
  }

  /**
   * The rows of the layer's 2-D table: its {@code weight} parameter, else a 2-D parameter among its
   * inputs other than the one at {@code indexAt} (ONNX's Gather takes the table as data, input 0).
   */
  private static Long rows(ModelView model, Layer l, int indexAt) {
    ParameterInfo w = model.parameters().get(l.parameters().getOrDefault("weight", ""));
    for (int i = 0; i < l.inputs().size() && w == null; i++) {
      ParameterInfo p = model.parameters().get(l.inputs().get(i));
      if (i != indexAt && p != null && p.shape().size() == 2) {
        w = p;
      }
    }
    if (w == null || w.shape().size() != 2 || w.shape().get(0) <= 0) {
      return null;
    }
    return w.shape().get(0);
  }
}
