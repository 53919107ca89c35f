package dev.portcheck.comparator.maps;

import dev.portcheck.comparator.CompareOptions;
import dev.portcheck.comparator.probe.Probes;
import dev.portcheck.comparator.report.ComparisonReport;
import dev.portcheck.comparator.report.Divergence;
import dev.portcheck.comparator.report.ModelRef;
import dev.portcheck.comparator.report.ProbeReport;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Re-runs one probe with a single layer tapped and reduces its output to a few small maps. */
public final class FeatureMapCapture {
  /** Channels kept: enough to see a pattern, few enough to keep a report small. */
  public static final int MAX_CHANNELS = 8;

  /** Largest side of a kept map; larger maps are average-pooled down. */
  public static final int MAX_SIDE = 64;

  private FeatureMapCapture() {}

  /**
   * The first diverging layer's maps in every compared model, on one probe (a random or real sample
   * rather than all ones, whose maps are mostly flat); empty without a layer divergence.
   */
  public static List<FeatureMaps> forComparison(
      List<ModelView> models, ComparisonReport report, CompareOptions options) {
    Divergence d = report.firstDivergence();
    if (d == null || "output".equals(d.opType()) || report.probes().isEmpty()) {
      return List.of();
    }
    if (!models.stream().allMatch(ModelView::runnable)) {
      return List.of();
    }
    int p = preferredProbe(report.probes().stream().map(ProbeReport::label).toList());
    Probes probes = Probes.prepare(models, options);
    List<FeatureMaps> out = new ArrayList<>();
    for (int m = 0; m < models.size(); m++) {
      String id = ModelRef.idOf(m);
      String layer = d.names().get(id);
      if (layer != null) {
        FeatureMaps f =
            capture(models.get(m), id, layer, probes.inputs(p, m), report.probes().get(p).label());
        if (f != null) {
          out.add(f);
        }
      }
    }
    return out;
  }

  /** The probe to show: the first that is not all ones or all zeros, else the first. */
  public static int preferredProbe(List<String> labels) {
    for (int i = 0; i < labels.size(); i++) {
      String l = labels.get(i);
      if (!l.equals("ones") && !l.equals("zeros")) {
        return i;
      }
    }
    return 0;
  }

  /**
   * Runs {@code model} on {@code inputs}, tapping only {@code layer}, and reduces its output.
   *
   * @return the maps, or null when the engine could not expose the layer
   */
  public static FeatureMaps capture(
      ModelView model, String modelId, String layer, Map<String, Tensor> inputs, String probe) {
    try (RunResult res = model.run(inputs, TapSelection.of(layer))) {
      Tensor t = res.layerOutputs().get(layer);
      if (t == null) {
        return null;
      }
      return reduce(t, activationLayout(model, layer, t.rank()), modelId, layer, probe);
    }
  }

  /** Reduces one activation; channels-first or channels-last for 4-D, rows for 3-D and 2-D. */
  public static FeatureMaps reduce(
      Tensor t, Layout layout, String modelId, String layer, String probe) {
    long[] s = t.shape();
    List<Long> shape = Arrays.stream(s).boxed().toList();
    float[] v = t.toFloatArray();
    int c;
    int h;
    int w;
    boolean channelsLast;
    String how;
    if (s.length == 4) {
      channelsLast = layout == Layout.NHWC;
      c = (int) (channelsLast ? s[3] : s[1]);
      h = (int) (channelsLast ? s[1] : s[2]);
      w = (int) (channelsLast ? s[2] : s[3]);
      how = channelsLast ? "NHWC" : "NCHW";
    } else if (s.length == 3) {
      // A sequence [N, T, D]: one map, tokens down, features across.
      channelsLast = false;
      c = 1;
      h = (int) s[1];
      w = (int) s[2];
      how = "sequence";
    } else {
      channelsLast = false;
      c = 1;
      h = 1;
      w = v.length;
      how = "vector";
    }
    int fy = Math.max(1, (h + MAX_SIDE - 1) / MAX_SIDE);
    int fx = Math.max(1, (w + MAX_SIDE - 1) / MAX_SIDE);
    int oh = (h + fy - 1) / fy;
    int ow = (w + fx - 1) / fx;
    List<float[]> maps = new ArrayList<>();
    for (int ch = 0; ch < Math.min(c, MAX_CHANNELS); ch++) {
      float[] m = new float[oh * ow];
      int[] n = new int[oh * ow];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int idx = channelsLast ? (y * w + x) * c + ch : (ch * h + y) * w + x;
          float val = idx < v.length ? v[idx] : Float.NaN;
          int o = (y / fy) * ow + x / fx;
          m[o] += val;
          n[o]++;
        }
      }
      for (int i = 0; i < m.length; i++) {
        m[i] = n[i] == 0 ? Float.NaN : m[i] / n[i];
      }
      maps.add(m);
    }
    return new FeatureMaps(modelId, layer, probe, shape, how, c, oh, ow, maps);
  }

  /**
   * The layout of a layer's activation, as its importer resolves it (declared, else the framework's
   * convention: PyTorch feature maps channels-first, TensorFlow's channels-last).
   */
  private static Layout activationLayout(ModelView model, String layer, int rank) {
    return model.activationLayout(layer, rank);
  }
}
