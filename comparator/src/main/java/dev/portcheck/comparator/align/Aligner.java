package dev.portcheck.comparator.align;

import dev.portcheck.comparator.report.AlignedBy;
import dev.portcheck.comparator.report.LayerStatus;
import dev.portcheck.importers.api.Layer;
import java.util.ArrayList;
import java.util.List;

/**
 * Aligns the layers of two or three models: each extra model is aligned against the reference
 * (model 0) by {@link PairAligner}, then the pairs are grouped into rows in the reference's graph
 * order, with the other models' unaligned layers placed after their nearest aligned predecessor.
 * Nothing is dropped: a layer without a counterpart gets its own row, UNALIGNED or FOLDED.
 */
public final class Aligner {
  private Aligner() {}

  /**
   * One row: a layer of each model (or null), and what output of each is compared. Built by the
   * aligner, read by the comparison.
   */
  public static final class Row {
    final Layer[] layers;

    /** Per model: the layer whose output stands for this row (a folded BN's, for Conv rows). */
    final String[] taps;

    /** Per model k > 0: the reference layer whose output model k is compared against. */
    final String[] refTaps;

    final AlignedBy[] evidence;

    /** Per model: it has no layer in this row, and the output of the layer before stands for it. */
    final boolean[] absent;

    final List<Fold> folds = new ArrayList<>();
    LayerStatus preset;
    String note;

    Row(int models) {
      layers = new Layer[models];
      taps = new String[models];
      refTaps = new String[models];
      evidence = new AlignedBy[models];
      absent = new boolean[models];
    }

    /** Number of models (the length of every per-model array). */
    public int modelCount() {
      return layers.length;
    }

    /** Model {@code m}'s layer in this row, or null. */
    public Layer layer(int m) {
      return layers[m];
    }

    /** The layer of model {@code m} whose output stands for this row (a folded BN's), or null. */
    public String tap(int m) {
      return taps[m];
    }

    /** For model {@code m > 0}: the reference layer its output is compared with, or null. */
    public String refTap(int m) {
      return refTaps[m];
    }

    /**
     * Whether model {@code m} has no layer in this row although the layers around it are aligned
     * (an activation forgotten in a port): its {@link #tap} is then the output of its layer before
     * this place, which is what it computes where the other model applies this row's layer.
     */
    public boolean absent(int m) {
      return absent[m];
    }

    /** Number of models with a layer in this row or a stand-in for one ({@link #absent}). */
    public int compared() {
      int n = 0;
      for (int m = 0; m < layers.length; m++) {
        n += layers[m] != null || absent[m] ? 1 : 0;
      }
      return n;
    }

    /** What paired model {@code m}'s layer with the reference's, or null. */
    public AlignedBy evidence(int m) {
      return evidence[m];
    }

    /**
     * The folds that make this row (a conv of one model with a BatchNorm folded into another's).
     */
    public List<Fold> folds() {
      return java.util.Collections.unmodifiableList(folds);
    }

    /** The status decided by alignment alone (UNALIGNED, FOLDED), or null. */
    public LayerStatus preset() {
      return preset;
    }

    /** What alignment found worth saying about this row, or null. */
    public String note() {
      return note;
    }

    /** Number of models with a layer in this row. */
    public int present() {
      int n = 0;
      for (Layer l : layers) {
        n += l == null ? 0 : 1;
      }
      return n;
    }

    /** The weakest evidence among the pairs in this row, or null for a lone layer. */
    public AlignedBy alignedBy() {
      AlignedBy worst = null;
      for (AlignedBy e : evidence) {
        if (e != null && (worst == null || e.ordinal() > worst.ordinal())) {
          worst = e;
        }
      }
      return worst;
    }

    /** The first model's layer in this row. */
    public Layer first() {
      for (Layer l : layers) {
        if (l != null) {
          return l;
        }
      }
      throw new IllegalStateException("empty row");
    }
  }

  /**
   * Rows in display order, and every fold found.
   *
   * @param rows every layer of every model, in the reference's graph order
   * @param folds every BatchNorm folded by one model into another's conv
   */
  public record Alignment(List<Row> rows, List<Fold> folds) {}

  /** Aligns every model with the first (the reference). */
  public static Alignment align(List<Weights> models) {
    int n = models.size();
    List<Layer> ref = models.get(0).model().layers();
    List<Row> rows = new ArrayList<>();
    for (Layer l : ref) {
      Row r = new Row(n);
      r.layers[0] = l;
      r.taps[0] = l.name();
      rows.add(r);
    }
    List<Fold> allFolds = new ArrayList<>();
    java.util.Set<Row> proven =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<PairAligner> pairs = new ArrayList<>();
    for (int k = 1; k < n; k++) {
      pairs.add(new PairAligner(models.get(0), models.get(k), k));
    }
    // One thread per pair: fold detection reads and fits the kernels of both models, most of the
    // alignment's time, and the pairs share nothing but the reference's (thread-safe) Weights.
    List<PairAligner.Result> results = pairs.parallelStream().map(PairAligner::align).toList();
    for (int k = 1; k < n; k++) {
      PairAligner.Result res = results.get(k - 1);
      allFolds.addAll(res.folds());
      List<Layer> other = models.get(k).model().layers();
      for (int i = 0; i < ref.size(); i++) {
        int j = res.match()[i];
        if (j >= 0) {
          Row r = rows.get(i);
          r.layers[k] = other.get(j);
          r.taps[k] = other.get(j).name();
          r.refTaps[k] = ref.get(i).name();
          r.evidence[k] = res.by()[i];
          int ot = res.otherTap()[i];
          if (ot >= 0) {
            r.taps[k] = other.get(ot).name();
            r.note =
                join(
                    r.note,
                    "m"
                        + k
                        + " completes this layer in element-wise ops after '"
                        + other.get(j).name()
                        + "'; compared at '"
                        + r.taps[k]
                        + "'");
          }
          int rt = res.refTap()[i];
          if (rt >= 0) {
            r.refTaps[k] = ref.get(rt).name();
            r.note =
                join(
                    r.note,
                    "m0 completes this layer in element-wise ops after it; m"
                        + k
                        + " compared with m0 '"
                        + r.refTaps[k]
                        + "'");
          }
        }
      }
      for (int i = 0; i < ref.size(); i++) {
        int q = res.otherStandIn()[i];
        if (q >= 0) {
          Row r = rows.get(i);
          r.absent[k] = true;
          r.taps[k] = other.get(q).name();
          r.refTaps[k] = ref.get(i).name();
          r.evidence[k] = AlignedBy.PLACE;
          r.note =
              join(
                  r.note,
                  "m"
                      + k
                      + " has no layer here: its '"
                      + other.get(q).name()
                      + "' feeds the next layer directly and is compared");
        }
      }
      for (int x = 0; x < ref.size(); x++) {
        int owner = res.refPartOf()[x];
        if (owner >= 0 && res.match()[owner] >= 0) {
          Row r = rows.get(x);
          r.note =
              join(
                  r.note,
                  "part of the '"
                      + ref.get(owner).name()
                      + "' row: m"
                      + k
                      + "'s '"
                      + other.get(res.match()[owner]).name()
                      + "' includes it");
        }
      }
      for (Fold f : res.folds()) {
        if (f.bnModel() == 0) {
          Row conv = rows.get(f.rawConv());
          conv.refTaps[k] = ref.get(f.bn()).name();
          conv.folds.add(f);
          Row bn = rows.get(f.bn());
          if (!Double.isNaN(f.inferredEpsilon())) {
            proven.add(bn);
          }
          bn.note =
              join(bn.note, "folded into '" + other.get(f.foldedConv()).name() + "' in m" + k);
        } else {
          Row conv = rows.get(f.foldedConv());
          conv.taps[k] = other.get(f.bn()).name();
          conv.folds.add(f);
        }
      }
    }
    for (int k = 1; k < n; k++) {
      insertExtras(rows, ref, models.get(k).model().layers(), k, results.get(k - 1), proven);
    }
    rows.forEach(Aligner::tapWhereCompared);
    for (Row r : rows) {
      if (r.compared() == 1 && r.preset == null) {
        r.preset =
            r.note != null && r.note.startsWith("folded")
                ? LayerStatus.FOLDED
                : LayerStatus.UNALIGNED;
        if (r.preset == LayerStatus.FOLDED && proven.contains(r)) {
          r.evidence[indexOf(r)] = AlignedBy.FOLDED_FINGERPRINT;
        }
      }
    }
    return new Alignment(List.copyOf(rows), List.copyOf(allFolds));
  }

  /**
   * The reference's statistics in a row are of the tensor another model was compared with when that
   * is not the layer's own output (a folded BatchNorm's output, the end of a bias chain), so that
   * the row's means and its difference describe the same tensors.
   */
  private static void tapWhereCompared(Row r) {
    for (int k = 1; k < r.layers.length; k++) {
      if (r.layers[0] != null && r.layers[k] != null && r.refTaps[k] != null) {
        if (!r.refTaps[k].equals(r.layers[0].name())) {
          r.taps[0] = r.refTaps[k];
        }
      }
    }
  }

  private static int indexOf(Row r) {
    for (int m = 0; m < r.layers.length; m++) {
      if (r.layers[m] != null) {
        return m;
      }
    }
    return 0;
  }

  private static String join(String a, String b) {
    return a == null ? b : a + "; " + b;
  }

  /** Model k's layers matched to nothing get rows after the row of their nearest predecessor. */
  private static void insertExtras(
      List<Row> rows,
      List<Layer> ref,
      List<Layer> other,
      int k,
      PairAligner.Result res,
      java.util.Set<Row> proven) {
    java.util.Map<Layer, Integer> index = new java.util.IdentityHashMap<>();
    for (int j = 0; j < other.size(); j++) {
      index.put(other.get(j), j);
    }
    int pos = 0;
    for (int j = 0; j < other.size(); j++) {
      if (res.otherMatched()[j] && !isFoldedBn(res, k, j)) {
        continue;
      }
      // Rows are in reference order; the new row goes after the last row holding an earlier
      // layer of model k, which keeps model k's own order too.
      for (int r = pos; r < rows.size(); r++) {
        Layer l = rows.get(r).layers[k];
        if (l != null && index.get(l) < j) {
          pos = r + 1;
        }
      }
      Row row = new Row(rows.get(0).layers.length);
      row.layers[k] = other.get(j);
      row.taps[k] = other.get(j).name();
      int owner = res.otherPartOf()[j];
      if (owner >= 0) {
        row.note =
            "part of the '"
                + ref.get(owner).name()
                + "' row: m0's '"
                + ref.get(owner).name()
                + "' includes it";
      }
      for (Fold f : res.folds()) {
        if (f.bnModel() == k && f.bn() == j) {
          row.note = "folded into '" + ref.get(f.foldedConv()).name() + "' in m0";
          if (!Double.isNaN(f.inferredEpsilon())) {
            proven.add(row);
          }
        }
      }
      int p = res.refStandIn()[j];
      if (p >= 0) {
        row.absent[0] = true;
        row.taps[0] = ref.get(p).name();
        row.refTaps[k] = ref.get(p).name();
        row.evidence[k] = AlignedBy.PLACE;
        row.note =
            "m0 has no layer here: its '"
                + ref.get(p).name()
                + "' feeds the next layer directly"
                + " and is compared";
      }
      rows.add(pos, row);
      pos++;
    }
  }

  private static boolean isFoldedBn(PairAligner.Result res, int k, int j) {
    return res.folds().stream().anyMatch(f -> f.bnModel() == k && f.bn() == j);
  }
}
