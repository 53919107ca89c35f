package dev.portcheck.comparator.align;

import dev.portcheck.comparator.report.AlignedBy;
import dev.portcheck.importers.api.AttributeValue;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Aligns one model's layers with the reference model's, strongest evidence first: shared parameter
 * names, then equal parameter values up to layout, then a BatchNorm folded into a Conv, then the
 * op-kind sequence between those anchors, then dataflow (the unaligned producers of aligned layers'
 * single data inputs, and of the model outputs, compute the same tensor). A layer with a bias
 * paired with a bias-less one whose model adds the bias in element-wise ops after it is compared at
 * the end of those ops.
 */
final class PairAligner {
  /**
   * The outcome: {@code match[i]} is the other model's layer for reference layer i, or -1.
   *
   * @param refTap per reference layer i: the reference layer whose output stands for row i when it
   *     is not layer i itself (the end of a bias-add chain), else -1
   * @param otherTap per reference layer i: the other model's layer whose output stands for row i
   *     when it is not {@code match[i]} itself, else -1
   * @param refPartOf per unaligned reference layer: the row whose layer in the other model also
   *     computes it (the reference spreads that layer over several element-wise ops), else -1
   * @param otherPartOf per unaligned layer of the other model: the row whose reference layer also
   *     computes it (the other model spreads that layer over several element-wise ops), else -1
   * @param otherStandIn per reference layer i the other model lacks (its aligned neighbours are
   *     adjacent there): the other model's layer whose output stands for row i, else -1
   * @param refStandIn per layer j of the other model that the reference lacks: the reference layer
   *     whose output stands for it, else -1
   */
  record Result(
      int[] match,
      AlignedBy[] by,
      boolean[] otherMatched,
      List<Fold> folds,
      int[] refTap,
      int[] otherTap,
      int[] refPartOf,
      int[] otherPartOf,
      int[] otherStandIn,
      int[] refStandIn) {}

  private final Weights ref;
  private final Weights other;
  private final int otherIndex;
  private final List<Layer> a;
  private final List<Layer> b;
  private final int[] match;
  private final int[] back;
  private final AlignedBy[] by;
  private final boolean[] consumedA;
  private final boolean[] consumedB;
  private final List<Fold> folds = new ArrayList<>();
  private final Graph ga;
  private final Graph gb;
  private final int[] refTap;
  private final int[] otherTap;
  private final int[] refPartOf;
  private final int[] otherPartOf;
  private final int[] otherStandIn;
  private final int[] refStandIn;
  private final Set<Layer> lookups;

  PairAligner(Weights ref, Weights other, int otherIndex) {
    this.ref = ref;
    this.other = other;
    this.otherIndex = otherIndex;
    this.a = ref.model().layers();
    this.b = other.model().layers();
    this.lookups =
        LayerMatching.lookups(
            other.model(), b, LayerMatching.lookups(ref.model(), a, LayerMatching.identitySet()));
    this.match = new int[a.size()];
    this.back = new int[b.size()];
    this.by = new AlignedBy[a.size()];
    this.consumedA = new boolean[a.size()];
    this.consumedB = new boolean[b.size()];
    Arrays.fill(match, -1);
    Arrays.fill(back, -1);
    this.ga = new Graph(ref.model());
    this.gb = new Graph(other.model());
    this.refTap = new int[a.size()];
    this.otherTap = new int[a.size()];
    this.refPartOf = new int[a.size()];
    this.otherPartOf = new int[b.size()];
    Arrays.fill(refTap, -1);
    Arrays.fill(otherTap, -1);
    Arrays.fill(refPartOf, -1);
    Arrays.fill(otherPartOf, -1);
    this.otherStandIn = new int[a.size()];
    this.refStandIn = new int[b.size()];
    Arrays.fill(otherStandIn, -1);
    Arrays.fill(refStandIn, -1);
  }

  Result align() {
    byParameterName();
    byFingerprint();
    byFold(ref, a, consumedA, 0, other, b, consumedB, otherIndex);
    byFold(other, b, consumedB, otherIndex, ref, a, consumedA, 0);
    byNamePath();
    byActivationBetween();
    TopologyAligner.fill(a, b, match, back, by, consumedA, consumedB, this::compatible);
    byLayerName();
    pruneAcrossBranches();
    byStructuralFold(0);
    byStructuralFold(1);
    byBiasChain();
    byFusedActivation();
    byDataflow();
    leftoverChains();
    byPlace();
    absent(0);
    absent(1);
    boolean[] otherMatched = new boolean[b.size()];
    for (int j = 0; j < b.size(); j++) {
      otherMatched[j] = back[j] >= 0 || consumedB[j];
    }
    return new Result(
        match.clone(),
        by.clone(),
        otherMatched,
        List.copyOf(folds),
        refTap.clone(),
        otherTap.clone(),
        refPartOf.clone(),
        otherPartOf.clone(),
        otherStandIn.clone(),
        refStandIn.clone());
  }

  private void pair(int i, int j, AlignedBy evidence) {
    match[i] = j;
    back[j] = i;
    by[i] = evidence;
  }

  /** Whether two layers (of either model) may stand for each other by what they compute. */
  boolean compatible(Layer x, Layer y) {
    return LayerMatching.compatible(x, y, lookups);
  }

  private void byParameterName() {
    LayerMatching.pairByNames(
        a, b, back, this::compatible, (i, j) -> pair(i, j, AlignedBy.PARAMETER_NAME));
  }

  private void byFingerprint() {
    LayerMatching.pairByUniqueValues(
        a,
        b,
        match,
        back,
        this::compatible,
        this::sameValues,
        (i, j) -> pair(i, j, AlignedBy.PARAMETER_FINGERPRINT));
  }

  private boolean sameValues(Layer x, Layer y) {
    Map<String, String> rx = Weights.roles(x);
    Map<String, String> ry = Weights.roles(y);
    String main = Weights.mainRole(rx);
    if (main == null || !ry.containsKey(main)) {
      return false;
    }
    for (Map.Entry<String, String> e : rx.entrySet()) {
      String other = ry.get(e.getKey());
      if (other == null) {
        continue;
      }
      Weights.Fingerprint fx = ref.fingerprint(e.getValue());
      if (fx == null || !fx.matches(this.other.fingerprint(other))) {
        return false;
      }
    }
    return true;
  }

  /**
   * One layer's name is the other's module path plus decorations: {@code layer2.0.conv1} inside
   * {@code /layer2/layer2.0/conv1/Conv} (torch.onnx) or {@code resnet/layer2.0.conv1/Conv2D}
   * (tf2onnx of a Keras port), as whole tokens, for exactly one compatible free layer each way.
   * Where weights prove nothing (a baseline keeps checksums, and a folded conv's checksum is not
   * the raw conv's), this tells apart convolutions that the op sequence alone would confuse.
   */
  private void byNamePath() {
    List<List<String>> ta = a.stream().map(l -> nameTokens(l.name())).toList();
    List<List<String>> tb = b.stream().map(l -> nameTokens(l.name())).toList();
    for (int i = 0; i < a.size(); i++) {
      int j = closestByName(0, i, ta, tb);
      if (j >= 0 && closestByName(1, j, tb, ta) == i) {
        pair(i, j, AlignedBy.TOPOLOGY);
      }
    }
  }

  /**
   * The free compatible layer of the other side whose name tokens nest with layer x's of side
   * {@code side} with the fewest extra tokens ({@code conv1} is {@code /conv1/Conv}, not {@code
   * /layer1/layer1.0/conv1/Conv}); -1 when there is none or a tie.
   */
  private int closestByName(int side, int x, List<List<String>> from, List<List<String>> to) {
    if (from.get(x).isEmpty() || !free(side, x) || generatedName(layers(side).get(x))) {
      return -1;
    }
    Layer lx = layers(side).get(x);
    List<Layer> other = layers(1 - side);
    return LayerMatching.nearest(
        to.size(),
        y ->
            free(1 - side, y)
                    && !generatedName(other.get(y))
                    && compatible(lx, other.get(y))
                    && nested(from.get(x), to.get(y))
                ? Math.abs(from.get(x).size() - to.get(y).size())
                : -1);
  }

  /**
   * A name an exporter made up from the op type and a counter ({@code Relu_5}, {@code Conv}): two
   * exports number their ops differently, so equal names of this kind are no evidence.
   */
  private static boolean generatedName(Layer l) {
    return l.name().replaceAll("_\\d+$", "").equalsIgnoreCase(l.opType());
  }

  private static List<String> nameTokens(String name) {
    List<String> out = new ArrayList<>();
    for (String t : name.split("[/.:]+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** Whether the shorter token list occurs contiguously in the longer one. */
  private static boolean nested(List<String> x, List<String> y) {
    List<String> s = x.size() <= y.size() ? x : y;
    List<String> l = x.size() <= y.size() ? y : x;
    return !s.isEmpty() && java.util.Collections.indexOfSubList(l, s) >= 0;
  }

  /** What is left: a free layer of the same name and a compatible kind (a re-export). */
  private void byLayerName() {
    Map<String, Integer> names = new HashMap<>();
    for (int j = 0; j < b.size(); j++) {
      names.putIfAbsent(b.get(j).name(), j);
    }
    for (int i = 0; i < a.size(); i++) {
      Integer j = names.get(a.get(i).name());
      if (j != null
          && free(0, i)
          && free(1, j)
          && !generatedName(a.get(i))
          && compatible(a.get(i), b.get(j))) {
        pair(i, j, AlignedBy.TOPOLOGY);
      }
    }
  }

  /** The BatchNorm reading this conv's output, if it is the next consumer. */
  static int followingBatchNorm(List<Layer> layers, int conv) {
    int k = nextConsumer(layers, conv);
    return k >= 0 && layers.get(k).kind() == OpKind.BATCH_NORM ? k : -1;
  }

  /**
   * The first layer reading layer x's output (the next layer when no layer lists its inputs, as
   * TorchScript modules do not), or -1.
   */
  private static int nextConsumer(List<Layer> layers, int x) {
    Layer c = layers.get(x);
    boolean graphKnown = layers.stream().anyMatch(l -> !l.inputs().isEmpty());
    for (int k = x + 1; k < layers.size(); k++) {
      boolean consumes =
          graphKnown
              ? !c.outputs().isEmpty() && layers.get(k).inputs().contains(c.outputs().get(0))
              : k == x + 1;
      if (consumes) {
        return k;
      }
    }
    return -1;
  }

  /**
   * Where one side keeps only checksums (a baseline), a fold cannot be proven from the weights: an
   * aligned conv pair where the conv of side {@code bnSide} feeds a BatchNorm left without a
   * counterpart and the other conv feeds no normalisation is taken as the BatchNorm folded into the
   * other conv (tf2onnx, ONNX constant folding). Its epsilon is unknown.
   */
  private void byStructuralFold(int bnSide) {
    if (ref.hasValues() && other.hasValues()) {
      return; // folds are proven from the weights by byFold
    }
    List<Layer> bnLayers = layers(bnSide);
    List<Layer> foldLayers = layers(1 - bnSide);
    boolean[] bnConsumed = bnSide == 0 ? consumedA : consumedB;
    for (int c = 0; c < bnLayers.size(); c++) {
      int partner = partnerOf(bnSide, c);
      if (bnLayers.get(c).kind() != OpKind.CONV
          || partner < 0
          || foldLayers.get(partner).kind() != OpKind.CONV) {
        continue;
      }
      int bn = followingBatchNorm(bnLayers, c);
      if (bn < 0 || bnConsumed[bn] || partnerOf(bnSide, bn) >= 0) {
        continue;
      }
      int next = nextConsumer(foldLayers, partner);
      if (next >= 0 && foldLayers.get(next).kind().isNormalization()) {
        continue;
      }
      bnConsumed[bn] = true;
      int bnModel = bnSide == 0 ? 0 : otherIndex;
      int foldModel = bnSide == 0 ? otherIndex : 0;
      folds.add(new Fold(bnModel, c, bn, foldModel, partner, Double.NaN, null));
    }
  }

  private void byFold(
      Weights bnW,
      List<Layer> bnLayers,
      boolean[] bnConsumed,
      int bnModel,
      Weights foldW,
      List<Layer> foldLayers,
      boolean[] foldConsumed,
      int foldModel) {
    boolean bnIsRef = bnModel == 0;
    for (int c = 0; c < bnLayers.size(); c++) {
      Layer conv = bnLayers.get(c);
      if (conv.kind() != OpKind.CONV || !Weights.roles(conv).containsKey("weight")) {
        continue;
      }
      int bn = followingBatchNorm(bnLayers, c);
      if (bn < 0 || bnConsumed[bn] || (bnIsRef ? match[bn] >= 0 : back[bn] >= 0)) {
        continue;
      }
      int partner = bnIsRef ? match[c] : back[c];
      // Equal weights already prove the partner is the raw conv: its output is the conv's, and a
      // "fold" with scale 1 would compare it against the BatchNorm's output instead.
      if (partner >= 0 && by[bnIsRef ? c : partner] == AlignedBy.PARAMETER_FINGERPRINT) {
        continue;
      }
      List<Integer> candidates = new ArrayList<>();
      if (partner >= 0) {
        candidates.add(partner);
      } else {
        for (int j = 0; j < foldLayers.size(); j++) {
          boolean free = bnIsRef ? back[j] < 0 : match[j] < 0;
          if (free && !foldConsumed[j] && foldLayers.get(j).kind() == OpKind.CONV) {
            candidates.add(j);
          }
        }
      }
      for (int j : candidates) {
        Layer fc = foldLayers.get(j);
        if (followingBatchNorm(foldLayers, j) >= 0 || !Weights.roles(fc).containsKey("weight")) {
          continue;
        }
        Optional<FoldedBatchNorm.Result> r = tryFold(bnW, conv, bnLayers.get(bn), foldW, fc);
        if (r.isPresent()) {
          bnConsumed[bn] = true;
          if (bnIsRef) {
            pair(c, j, AlignedBy.FOLDED_FINGERPRINT);
          } else {
            pair(j, c, AlignedBy.FOLDED_FINGERPRINT);
          }
          // Measured now, while the kernels just read are among the recent copies.
          FoldedBatchNorm.Fit fit =
              FoldedBatchNorm.fit(bnW, conv, bnLayers.get(bn), foldW, fc, r.get());
          folds.add(new Fold(bnModel, c, bn, foldModel, j, r.get().inferredEpsilon(), fit));
          break;
        }
      }
    }
  }

  private static Optional<FoldedBatchNorm.Result> tryFold(
      Weights bnW, Layer conv, Layer bn, Weights foldW, Layer folded) {
    Map<String, String> br = Weights.roles(bn);
    if (!bnW.hasValues()
        || !foldW.hasValues()
        || !br.containsKey("scale")
        || !br.containsKey("variance")) {
      return Optional.empty();
    }
    String rawName = Weights.roles(conv).get("weight");
    String foldedName = Weights.roles(folded).get("weight");
    long[] rawShape = bnW.canonicalShape(rawName);
    long[] foldedShape = foldW.canonicalShape(foldedName);
    // Most candidates differ in shape: told from the description, before any value is read (the
    // transposed retry below keeps the shape too, a square kernel's H and W being equal).
    if (rawShape != null && foldedShape != null && !Arrays.equals(rawShape, foldedShape)) {
      return Optional.empty();
    }
    Tensor raw = bnW.canonical(rawName);
    Tensor f = foldW.canonical(foldedName);
    if (!Arrays.equals(raw.shape(), f.shape())) {
      return Optional.empty();
    }
    Tensor gamma = bnW.canonical(br.get("scale"));
    Tensor variance = bnW.canonical(br.get("variance"));
    Optional<FoldedBatchNorm.Result> r = FoldedBatchNorm.detect(raw, f, gamma, variance);
    if (r.isEmpty() && raw.rank() == 4 && raw.shape()[2] == raw.shape()[3] && raw.shape()[2] > 1) {
      // A kernel transposed H<->W after folding (a hand-edited or mis-converted export) still
      // carries the fold's per-channel scales: the fold is recognised, and the weight check
      // names the transposition after unfolding.
      r = FoldedBatchNorm.detect(raw.transpose(0, 1, 3, 2), f, gamma, variance);
    }
    return r;
  }

  // ---- Dataflow: pairs by what consumes a layer's output, and taps at the end of bias chains ----

  /** Kinds whose output has the shape of their (single) data input, value by value. */
  private static final Set<OpKind> POINTWISE =
      Set.of(
          OpKind.BATCH_NORM,
          OpKind.LAYER_NORM,
          OpKind.INSTANCE_NORM,
          OpKind.GROUP_NORM,
          OpKind.ADD,
          OpKind.SUB,
          OpKind.MUL,
          OpKind.DIV,
          OpKind.RELU,
          OpKind.RELU6,
          OpKind.CLIP,
          OpKind.LEAKY_RELU,
          OpKind.SIGMOID,
          OpKind.TANH,
          OpKind.GELU,
          OpKind.SILU,
          OpKind.IDENTITY,
          OpKind.DROPOUT,
          OpKind.OTHER);

  /** Element-wise arithmetic with a constant operand: how exporters spell a bias or a scale. */
  private static final Set<OpKind> ARITHMETIC =
      Set.of(OpKind.ADD, OpKind.SUB, OpKind.MUL, OpKind.DIV, OpKind.IDENTITY);

  /** Longest chain of element-wise ops accepted as one layer spread over several. */
  private static final int MAX_CHAIN = 4;

  private List<Layer> layers(int side) {
    return side == 0 ? a : b;
  }

  private Graph graph(int side) {
    return side == 0 ? ga : gb;
  }

  private int partnerOf(int side, int x) {
    return side == 0 ? match[x] : back[x];
  }

  private int[] partOf(int side) {
    return side == 0 ? refPartOf : otherPartOf;
  }

  /** Not aligned, not folded away, not part of another row's chain, and a real computation. */
  private boolean free(int side, int x) {
    OpKind k = layers(side).get(x).kind();
    return partnerOf(side, x) < 0
        && !(side == 0 ? consumedA : consumedB)[x]
        && partOf(side)[x] < 0
        && k != OpKind.CONTAINER
        && k != OpKind.CONSTANT;
  }

  private boolean elementwise(int side, Layer l) {
    return ARITHMETIC.contains(l.kind()) || biasAdd(side, l);
  }

  /** A bias-add (TensorFlow's BiasAdd), as the layer's importer declares it. */
  private boolean biasAdd(int side, Layer l) {
    return (side == 0 ? ref : other).model().roles(l).contains(OpRole.BIAS_ADD);
  }

  /**
   * Whether two layers may stand for each other because their outputs feed corresponding layers:
   * same kind family, or both value-by-value (a BatchNorm computed as Mul+Add). A reshape or pad
   * cannot be a BatchNorm, whatever consumes it.
   */
  boolean plausible(Layer x, Layer y) {
    return compatible(x, y) || (POINTWISE.contains(x.kind()) && POINTWISE.contains(y.kind()));
  }

  /**
   * A Linear (or Conv) with a bias in one model and, in the other, the same matrix without one,
   * followed by element-wise ops with constants (the bias added, a scale of 1 applied). The pair
   * stands; its activations are compared at the end of that chain, which is the tensor the other
   * model's dataflow says corresponds to the layer's output (both feed the same model output, or
   * both feed aligned layers).
   */
  private void byBiasChain() {
    for (int i = 0; i < a.size(); i++) {
      int j = match[i];
      if (j < 0) {
        continue;
      }
      boolean biasA = Weights.roles(a.get(i)).containsKey("bias");
      boolean biasB = Weights.roles(b.get(j)).containsKey("bias");
      if (biasA && !biasB) {
        biasChain(1, j, i, i);
      } else if (biasB && !biasA) {
        biasChain(0, i, j, i);
      }
    }
    // A conv that absorbed a BatchNorm always has a bias; without a bias parameter the exporter
    // adds it in the next op (onnx2tf: Conv then Add), where the BatchNorm's output is matched.
    for (Fold f : folds) {
      boolean foldedIsRef = f.foldedModel() == 0;
      List<Layer> side = foldedIsRef ? a : b;
      if (!Weights.roles(side.get(f.foldedConv())).containsKey("bias")) {
        int row = foldedIsRef ? f.foldedConv() : f.rawConv();
        biasAddWalk(foldedIsRef ? 0 : 1, f.foldedConv(), row);
      }
    }
  }

  /**
   * A layer with its activation fused ({@code activation: tanh} on a Keras Dense, Hugging Face's TF
   * pooler) paired with one whose model applies that activation in the next layer (torch's Linear
   * then Tanh): the pair is compared after the activation, where both models hold the same tensor,
   * and the separate activation belongs to that row.
   */
  private void byFusedActivation() {
    for (int i = 0; i < a.size(); i++) {
      int j = match[i];
      if (j < 0) {
        continue;
      }
      OpKind fusedB = fusedActivation(b.get(j));
      OpKind fusedA = fusedActivation(a.get(i));
      if (fusedB != null && fusedA == null) {
        int c = activationAfter(0, i, fusedB);
        if (c >= 0) {
          tapChain(0, i, c, List.of(c));
        }
      } else if (fusedA != null && fusedB == null) {
        int c = activationAfter(1, j, fusedA);
        if (c >= 0) {
          tapChain(1, i, c, List.of(c));
        }
      }
    }
  }

  /** The activation a layer applies to its own output (Keras' {@code activation=}), or null. */
  private static OpKind fusedActivation(Layer l) {
    if (!(l.attributes().get("activation") instanceof AttributeValue.Str act)) {
      return null;
    }
    return switch (act.value().toLowerCase(java.util.Locale.ROOT)) {
      case "tanh" -> OpKind.TANH;
      case "relu" -> OpKind.RELU;
      case "relu6" -> OpKind.RELU6;
      case "sigmoid" -> OpKind.SIGMOID;
      case "gelu" -> OpKind.GELU;
      case "silu", "swish" -> OpKind.SILU;
      case "softmax" -> OpKind.SOFTMAX;
      default -> null;
    };
  }

  /**
   * The unaligned layer of kind {@code kind} reading layer x's output: its sole consumer, or, where
   * the graph is not known (TorchScript), the next module in the same parent.
   */
  private int activationAfter(int side, int x, OpKind kind) {
    Graph g = graph(side);
    List<Layer> ls = layers(side);
    int c = g.known ? g.soleConsumer(x) : x + 1;
    if (c < 0 || c >= ls.size() || !free(side, c) || ls.get(c).kind() != kind) {
      return -1;
    }
    if (!g.known && !java.util.Objects.equals(ls.get(c).parent(), ls.get(x).parent())) {
      return -1;
    }
    return c;
  }

  /**
   * In model {@code split}, finds the chain from {@code s} to the layer corresponding to the output
   * of {@code t} (its partner in the other model) and taps row {@code row} there.
   */
  private void biasChain(int split, int s, int t, int row) {
    if (!chainToTarget(split, s, t, row)) {
      biasAddWalk(split, s, row);
    }
  }

  /** Taps at the end of the chain leading to the tensor that corresponds to t's output. */
  private boolean chainToTarget(int split, int s, int t, int row) {
    Graph gs = graph(split);
    if (!gs.known) {
      return false;
    }
    int whole = 1 - split;
    Graph gt = graph(whole);
    Set<Integer> targets = new java.util.HashSet<>();
    for (int c = 0; c < layers(whole).size(); c++) {
      int pc = partnerOf(whole, c);
      if (pc >= 0 && gt.dataProducer(c) == t) {
        targets.add(gs.dataProducer(pc));
      }
    }
    int outs = Math.min(gs.model.outputs().size(), gt.model.outputs().size());
    for (int pos = 0; pos < outs; pos++) {
      if (gt.outputProducer(pos) == t) {
        targets.add(gs.outputProducer(pos));
      }
    }
    if (targets.size() != 1) {
      return false;
    }
    int q = targets.iterator().next();
    if (q < 0 || q == s) {
      return false;
    }
    List<Integer> chain = new ArrayList<>();
    for (int cur = q; cur != s; cur = gs.dataProducer(cur)) {
      if (cur < 0
          || chain.size() >= MAX_CHAIN
          || !free(split, cur)
          || !elementwise(split, layers(split).get(cur))) {
        return false;
      }
      chain.add(cur);
    }
    tapChain(split, row, q, chain);
    return true;
  }

  /**
   * When nothing downstream is aligned or leads back (a GELU spelt out as Erf/Div/Mul), follow the
   * bias add itself: through shape-only ops and constant scales up to the first constant Add.
   */
  private void biasAddWalk(int split, int s, int row) {
    Graph gs = graph(split);
    if (!gs.known) {
      return;
    }
    List<Integer> chain = new ArrayList<>();
    for (int c = gs.soleConsumer(s);
        c >= 0 && chain.size() < MAX_CHAIN && free(split, c) && gs.layerFed(c) == 1;
        c = gs.soleConsumer(c)) {
      OpKind k = layers(split).get(c).kind();
      chain.add(c);
      if (k == OpKind.ADD || biasAdd(split, layers(split).get(c))) {
        tapChain(split, row, c, chain);
        return;
      }
      if (k != OpKind.MUL && k != OpKind.RESHAPE && k != OpKind.TRANSPOSE) {
        return;
      }
    }
  }

  private void tapChain(int split, int row, int q, List<Integer> chain) {
    if (split == 0) {
      refTap[row] = q;
    } else {
      otherTap[row] = q;
    }
    for (int m : chain) {
      partOf(split)[m] = row;
    }
  }

  /**
   * OUTPUT evidence: when two aligned layers each read one data input, the layers producing those
   * inputs compute the same tensor; if neither is aligned yet, they are paired, and so on backwards
   * until nothing changes. The producers of the model outputs are paired position by position. This
   * aligns a BatchNorm with the Add that ends the Mul+Add chain an exporter turned it into.
   */
  private void byDataflow() {
    boolean changed = true;
    while (changed) {
      changed = false;
      for (int i = 0; i < a.size(); i++) {
        int j = match[i];
        if (j >= 0) {
          changed |= pairProducers(ga.dataProducer(i), gb.dataProducer(j));
        }
      }
      int outs = Math.min(ga.model.outputs().size(), gb.model.outputs().size());
      for (int pos = 0; pos < outs; pos++) {
        changed |= pairProducers(ga.outputProducer(pos), gb.outputProducer(pos));
      }
    }
  }

  /**
   * Pairs the producers of two corresponding tensors, looking through an inference no-op (Dropout,
   * Identity) that only one side has: torchvision's ViT runs its MLP's GELU through a Dropout
   * module, which the ONNX export drops, and pairing that Dropout with the GELU's last Mul had
   * paired the GELU with the Mul before it (x * (1 + erf), twice the GELU).
   */
  private boolean pairProducers(int x, int y) {
    x = throughNoOp(ga, a, x, y < 0 ? null : b.get(y));
    y = throughNoOp(gb, b, y, x < 0 ? null : a.get(x));
    return pairByOutput(x, y);
  }

  private static int throughNoOp(Graph g, List<Layer> side, int x, Layer other) {
    for (int hops = 0; x >= 0 && hops < MAX_CHAIN; hops++) {
      Layer l = side.get(x);
      boolean noOp = l.kind() == OpKind.DROPOUT || l.kind() == OpKind.IDENTITY;
      if (!noOp || other == null || other.kind() == l.kind()) {
        return x;
      }
      x = g.dataProducer(x);
    }
    return x;
  }

  private boolean pairByOutput(int x, int y) {
    if (x < 0
        || y < 0
        || !free(0, x)
        || !free(1, y)
        || !plausible(a.get(x), b.get(y))
        || acrossBranches(x, y)) {
      return false;
    }
    pair(x, y, AlignedBy.OUTPUT);
    return true;
  }

  /**
   * The unaligned element-wise layers between two aligned layers of one model where the other model
   * has nothing in between (the Mul of a BatchNorm computed as Mul+Add) belong to the later row.
   */
  private void leftoverChains() {
    for (int i = 0; i < a.size(); i++) {
      int j = match[i];
      if (j < 0) {
        continue;
      }
      leftoverChain(0, i, j, i);
      leftoverChain(1, j, i, i);
    }
  }

  private void leftoverChain(int side, int x, int y, int row) {
    Graph g = graph(side);
    if (!g.known) {
      return;
    }
    List<Integer> chain = new ArrayList<>();
    int cur = g.dataProducer(x);
    while (cur >= 0
        && chain.size() < MAX_CHAIN
        && free(side, cur)
        && elementwise(side, layers(side).get(cur))) {
      chain.add(cur);
      cur = g.dataProducer(cur);
    }
    if (chain.isEmpty() || cur < 0 || partnerOf(side, cur) < 0) {
      return;
    }
    if (graph(1 - side).dataProducer(y) != partnerOf(side, cur)) {
      return;
    }
    for (int m : chain) {
      partOf(side)[m] = row;
    }
  }

  // ---- Place: layers of another kind, or of one model only, between aligned neighbours ----

  /**
   * Kinds a port may get wrong as a whole layer: the pooling type, the activation. Only these are
   * paired across kinds, so that a reshape is never blamed for being a pooling.
   */
  private static final Set<OpKind> SWAPPABLE =
      Set.of(
          OpKind.MAX_POOL,
          OpKind.AVG_POOL,
          OpKind.RELU,
          OpKind.RELU6,
          OpKind.CLIP,
          OpKind.LEAKY_RELU,
          OpKind.SIGMOID,
          OpKind.TANH,
          OpKind.GELU,
          OpKind.SILU);

  /** Kinds that change values and may be forgotten in a port (an activation). */
  private static final Set<OpKind> MISSABLE =
      Set.of(
          OpKind.RELU,
          OpKind.RELU6,
          OpKind.LEAKY_RELU,
          OpKind.SIGMOID,
          OpKind.TANH,
          OpKind.GELU,
          OpKind.SILU);

  /**
   * PLACE evidence: a free layer of each model whose data inputs come from aligned layers, where
   * both are the only free layers reading them, and which carry the same name or feed aligned
   * layers. Their kinds differ (compatible kinds were paired before); that difference is what the
   * comparison reports.
   */
  private void byPlace() {
    for (int i = 0; i < a.size(); i++) {
      if (!free(0, i) || !SWAPPABLE.contains(a.get(i).kind())) {
        continue;
      }
      int p = ga.dataProducer(i);
      int q = p < 0 ? -1 : match[p];
      if (q < 0) {
        continue;
      }
      int found = -1;
      int candidates = 0;
      for (int j = 0; j < b.size(); j++) {
        if (free(1, j) && gb.dataProducer(j) == q && SWAPPABLE.contains(b.get(j).kind())) {
          candidates++;
          found = j;
        }
      }
      if (candidates != 1) {
        continue;
      }
      int ci = consumer(0, i);
      int cj = consumer(1, found);
      boolean sameName = a.get(i).name().equals(b.get(found).name());
      boolean sameConsumer = ci >= 0 && cj >= 0 && match[ci] == cj;
      if (sameName || sameConsumer) {
        pair(i, found, AlignedBy.PLACE);
      }
    }
  }

  /**
   * A free layer of side {@code side} of a value-changing kind whose producer and consumer are
   * aligned with two layers that are adjacent in the other model: the other model has no layer
   * there, and the producer's output there stands for it.
   */
  private void absent(int side) {
    List<Layer> own = layers(side);
    Graph g = graph(side);
    Graph og = graph(1 - side);
    if (!og.known) {
      // Adjacency guessed from module order (TorchScript) is no evidence of absence: Hugging Face
      // declares GPT2MLP's act after c_proj, so c_fc would seem to feed c_proj directly.
      return;
    }
    for (int x = 0; x < own.size(); x++) {
      if (!free(side, x) || !MISSABLE.contains(own.get(x).kind())) {
        continue;
      }
      int p = g.dataProducer(x);
      int c = consumer(side, x);
      if (p < 0 || c < 0 || g.dataProducer(c) != x) {
        continue;
      }
      int q = partnerOf(side, p);
      int d = partnerOf(side, c);
      if (q < 0 || d < 0 || og.dataProducer(d) != q) {
        continue;
      }
      if (side == 0) {
        otherStandIn[x] = q;
      } else {
        refStandIn[x] = q;
      }
    }
  }

  /** The only layer reading layer x's output (the next sibling when the graph is not known). */
  private int consumer(int side, int x) {
    Graph g = graph(side);
    if (g.known) {
      return g.soleConsumer(x);
    }
    List<Layer> l = layers(side);
    return x + 1 < l.size() && g.dataProducer(x + 1) == x ? x + 1 : -1;
  }

  // ---- Module trees against graphs: activations between aligned layers, branch bodies ----

  private static boolean strong(AlignedBy e) {
    return e == AlignedBy.PARAMETER_NAME
        || e == AlignedBy.PARAMETER_FINGERPRINT
        || e == AlignedBy.FOLDED_FINGERPRINT;
  }

  /** The reference layer paired with layer y of the other model on weight evidence, or -1. */
  private int strongPartner(int y) {
    int x = y < 0 ? -1 : back[y];
    return x >= 0 && strong(by[x]) ? x : -1;
  }

  /**
   * A module tree (TorchScript) says which block holds an activation but not where it is called:
   * modules are listed in declaration order, and Silero's blocks declare their activation before
   * the conv that feeds it, so the op sequence pairs each ReLU with the previous block's. The other
   * model's graph says which aligned layers an activation sits between: its counterpart is a free
   * activation of the same kind in the block of the layer feeding it or of the layer it feeds.
   * Where that leaves one candidate it is paired, and pairing it can leave one for a neighbour (the
   * last block's activation feeds no aligned layer, so it settles first); where two remain, or two
   * activations claim one module, nothing is paired here.
   */
  private void byActivationBetween() {
    if (ga.known || !gb.known) {
      return;
    }
    boolean changed = true;
    while (changed) {
      changed = false;
      Map<Integer, Integer> claims = new HashMap<>();
      Map<Integer, Integer> claimedBy = new HashMap<>();
      for (int j = 0; j < b.size(); j++) {
        if (!free(1, j) || !MISSABLE.contains(b.get(j).kind())) {
          continue;
        }
        int p = strongPartner(gb.dataProducer(j));
        int c = strongPartner(gb.soleConsumer(j));
        if (p < 0) {
          continue;
        }
        int only = -1;
        int count = 0;
        for (int i = 0; i < a.size(); i++) {
          if (!free(0, i) || a.get(i).kind() != b.get(j).kind()) {
            continue;
          }
          String parent = a.get(i).parent();
          boolean inBlock =
              parent != null
                  && (parent.equals(a.get(p).parent())
                      || (c >= 0 && parent.equals(a.get(c).parent())));
          if (inBlock) {
            only = i;
            count++;
          }
        }
        if (count == 1) {
          claims.merge(only, 1, Integer::sum);
          claimedBy.put(only, j);
        }
      }
      for (Map.Entry<Integer, Integer> e : claims.entrySet()) {
        if (e.getValue() == 1) {
          pair(e.getKey(), claimedBy.get(e.getKey()), AlignedBy.OUTPUT);
          changed = true;
        }
      }
    }
  }

  private BranchRegions regions;
  private int[] anchorRegion;

  /**
   * Per reference layer: the branch region of the other model where the weights of its top-level
   * module were found, when they were all found in one (-1 when none, -2 when several or some at
   * the top level).
   */
  private int anchorRegionOf(int i) {
    if (regions == null) {
      regions = new BranchRegions(b, gb);
      Map<String, Integer> byName = new HashMap<>();
      for (int x = 0; x < a.size(); x++) {
        byName.putIfAbsent(a.get(x).name(), x);
      }
      int[] top = new int[a.size()];
      for (int x = 0; x < a.size(); x++) {
        int t = x;
        for (int hops = 0; hops < a.size(); hops++) {
          Integer up = a.get(t).parent() == null ? null : byName.get(a.get(t).parent());
          if (up == null) {
            break;
          }
          t = up;
        }
        top[x] = t;
      }
      int[] perTop = new int[a.size()];
      Arrays.fill(perTop, -1);
      for (int x = 0; x < a.size(); x++) {
        if (match[x] < 0 || !strong(by[x])) {
          continue;
        }
        int r = regions.of(match[x]);
        int t = top[x];
        perTop[t] = r < 0 || (perTop[t] != -1 && perTop[t] != r) ? -2 : r;
      }
      anchorRegion = new int[a.size()];
      for (int x = 0; x < a.size(); x++) {
        // The top-level module itself may stand for the If holding its branch.
        anchorRegion[x] = top[x] == x ? -1 : perTop[top[x]];
      }
    }
    return anchorRegion[i];
  }

  /**
   * Whether pairing reference layer x with layer y leaves the branch its module's weights are in.
   */
  private boolean acrossBranches(int x, int y) {
    int r = anchorRegionOf(x);
    return r >= 0 && regions.of(y) != r;
  }

  /**
   * Whether layer j of the other model is a control-flow node (an If) holding a body none of whose
   * layers is paired with a part of reference layer i: Silero's decoder module fell by op order on
   * an If nested in the branch, which computes something else. An If whose branches hold the
   * partners of i's submodules (the top-level If of Silero and its {@code _model}) stands.
   */
  private boolean foreignBody(int i, int j) {
    String body = b.get(j).name();
    if (b.stream().noneMatch(l -> body.equals(l.parent()))) {
      return false;
    }
    Map<String, String> parentOf = new HashMap<>();
    b.forEach(l -> parentOf.putIfAbsent(l.name(), l.parent()));
    String module = a.get(i).name();
    for (int x = 0; x < a.size(); x++) {
      if (x == i || match[x] < 0 || !under(a, x, module)) {
        continue;
      }
      for (String up = b.get(match[x]).parent(); up != null; up = parentOf.get(up)) {
        if (up.equals(body)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether layer x of {@code side} lies (transitively) inside the module named {@code module}. */
  private static boolean under(List<Layer> side, int x, String module) {
    Map<String, String> parentOf = new HashMap<>();
    side.forEach(l -> parentOf.putIfAbsent(l.name(), l.parent()));
    for (String up = side.get(x).parent(); up != null; up = parentOf.get(up)) {
      if (up.equals(module)) {
        return true;
      }
    }
    return false;
  }

  /** Undoes pairs on order alone that put a layer outside the branch body its weights are in. */
  private void pruneAcrossBranches() {
    if (!gb.known) {
      return;
    }
    for (int i = 0; i < a.size(); i++) {
      int j = match[i];
      if (j >= 0 && !strong(by[i]) && (acrossBranches(i, j) || foreignBody(i, j))) {
        match[i] = -1;
        back[j] = -1;
        by[i] = null;
      }
    }
  }

  /**
   * One model's dataflow between layers. When no layer lists its inputs (TorchScript modules), a
   * layer's data input is taken to be its predecessor in graph order within the same parent, and
   * nothing is inferred across the start or end of a container; the model's single output is taken
   * to come from its last non-container layer.
   */
  static final class Graph {
    final ModelView model;
    final boolean known;
    private final List<Layer> layers;
    private final Map<String, Integer> producer = new HashMap<>();
    private final Set<String> read = new java.util.HashSet<>();

    Graph(ModelView model) {
      this.model = model;
      this.layers = model.layers();
      this.known = layers.stream().anyMatch(l -> !l.inputs().isEmpty());
      for (int i = 0; i < layers.size(); i++) {
        for (String o : layers.get(i).outputs()) {
          producer.putIfAbsent(o, i);
        }
        for (String in : layers.get(i).inputs()) {
          read.add(in);
          read.add(alternate(in));
        }
      }
    }

    /** TensorFlow writes output 0 of node {@code n} as {@code n} or {@code n:0}. */
    private static String alternate(String t) {
      return t.endsWith(":0") ? t.substring(0, t.length() - 2) : t + ":0";
    }

    int producerOf(String tensor) {
      Integer p = producer.get(tensor);
      if (p == null) {
        p = producer.get(alternate(tensor));
      }
      return p == null ? -1 : p;
    }

    private boolean constant(String tensor) {
      if (model.parameters().containsKey(tensor)) {
        return true;
      }
      int p = producerOf(tensor);
      return p >= 0 && layers.get(p).kind() == OpKind.CONSTANT;
    }

    /** Inputs that carry activations: not parameters, constants or control edges. */
    List<String> dataInputs(int x) {
      List<String> out = new ArrayList<>();
      for (String in : layers.get(x).inputs()) {
        if (!in.isEmpty() && !in.startsWith("^") && !constant(in)) {
          out.add(in);
        }
      }
      return out;
    }

    /** The layer producing layer x's only data input, or -1 (none, several, a model input). */
    int dataProducer(int x) {
      Layer l = layers.get(x);
      if (known) {
        List<String> ins = dataInputs(x);
        if (ins.size() != 1) {
          return -1;
        }
        int p = producerOf(ins.get(0));
        return p == x ? -1 : p;
      }
      if (x == 0 || l.kind() == OpKind.CONTAINER) {
        return -1;
      }
      Layer p = layers.get(x - 1);
      boolean sibling = java.util.Objects.equals(p.parent(), l.parent());
      return p.kind() != OpKind.CONTAINER && sibling ? x - 1 : -1;
    }

    /**
     * How many of layer x's data inputs another layer produces (a TF Transpose's perm or a bias
     * read from a Const node that is no layer counts as no activation).
     */
    int layerFed(int x) {
      return (int) dataInputs(x).stream().filter(t -> producerOf(t) >= 0).count();
    }

    /** The only layer reading an output of layer x, or -1 (none, several, or graph unknown). */
    int soleConsumer(int x) {
      if (!known) {
        return -1;
      }
      Set<String> outs = new java.util.HashSet<>();
      for (String o : layers.get(x).outputs()) {
        outs.add(o);
        outs.add(alternate(o));
      }
      int found = -1;
      for (int c = 0; c < layers.size(); c++) {
        if (c != x && dataInputs(c).stream().anyMatch(outs::contains)) {
          if (found >= 0) {
            return -1;
          }
          found = c;
        }
      }
      return found;
    }

    /** The layer producing model output {@code pos}, or -1 when that is not clear. */
    int outputProducer(int pos) {
      List<dev.portcheck.importers.api.TensorInfo> outs = model.outputs();
      if (pos >= outs.size()) {
        return -1;
      }
      if (known) {
        int p = producerOf(outs.get(pos).name());
        if (p >= 0 || outs.size() != 1) {
          return p;
        }
        // Signature names (TensorFlow's output_0) are not graph tensors: the single output comes
        // from the single top-level layer whose output nothing reads.
        int sink = -1;
        for (int x = 0; x < layers.size(); x++) {
          Layer l = layers.get(x);
          if (l.parent() != null
              || l.kind() == OpKind.CONSTANT
              || l.kind() == OpKind.CONTAINER
              || l.outputs().isEmpty()
              || l.outputs().stream().anyMatch(read::contains)) {
            continue;
          }
          if (sink >= 0) {
            return -1;
          }
          sink = x;
        }
        return sink;
      }
      if (outs.size() != 1) {
        return -1;
      }
      for (int x = layers.size() - 1; x >= 0; x--) {
        if (layers.get(x).kind() != OpKind.CONTAINER) {
          return x;
        }
      }
      return -1;
    }
  }
}
