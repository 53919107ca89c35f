package dev.portcheck.importers.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunScope;
import dev.portcheck.importers.api.TempFiles;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.onnx.proto.AttributeProto;
import dev.portcheck.importers.onnx.proto.GraphProto;
import dev.portcheck.importers.onnx.proto.ModelProto;
import dev.portcheck.importers.onnx.proto.NodeProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import dev.portcheck.importers.onnx.proto.ValueInfoProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs an ONNX model in ONNX Runtime and returns its outputs plus requested intermediates. ORT only
 * returns graph outputs, so each tap set gets one edited copy of the model whose graph lists the
 * tapped tensors as extra outputs (a name-only {@code ValueInfoProto} is enough; ORT infers the
 * type). Every tapped run uses one model that exposes every tappable tensor, so there are two
 * sessions at most: plain and tapped. Only one is kept: each holds its own copy of the weights and
 * an arena sized for its outputs, and a comparison runs many probes on one of them.
 */
final class OnnxRunner implements AutoCloseable {
  private final Path source;
  private final ModelProto model;
  private final OnnxExternalData external;
  private final boolean hasExternalData;

  /**
   * What the one open session was made for: its extra outputs and the If branches inlined (by If
   * key, true = then_branch), and that session (null before the first run).
   */
  private record Key(Set<String> extra, Map<String, Boolean> taken) {}

  private Key currentKey;

  /** Tapped Loop-body tensors of the open session: the stacked Loop output holding each. */
  private Map<String, String> currentStacked = Map.of();

  /** Sessions computing If conditions, by the branches already inlined before them. */
  private final Map<Map<String, Boolean>, ConditionSession> conditionSessions = new HashMap<>();

  private record ConditionSession(OrtSession session, OnnxControlFlow.Slice slice) {}

  private OrtSession current;
  private boolean closed;

  /**
   * A float output that ORT writes into a direct buffer of this runner (a pinned output), so that a
   * run in place copies nothing: the run's tensors are views of {@code values}.
   */
  private record Pinned(OnnxTensor tensor, FloatBuffer values, long[] shape) {}

  /** Pinned outputs of the current session, by tensor name, for inputs of shapes pinnedFor. */
  private final Map<String, Pinned> pinned = new HashMap<>();

  private List<List<Long>> pinnedFor;

  /** Set when a pinned run failed: the session's outputs are copied, as by a plain run. */
  private boolean pinningOff;

  OnnxRunner(Path source, ModelProto model, OnnxExternalData external, boolean hasExternalData) {
    this.source = source;
    this.model = model;
    this.external = external;
    this.hasExternalData = hasExternalData;
  }

  /**
   * One ORT pass of the session whose graph also outputs {@code extra}: declared outputs, then the
   * {@code copied} tensors (a subset of {@code extra}), copied out by name.
   */
  synchronized Map<String, Tensor> run(
      List<TensorInfo> inputs,
      Map<String, Tensor> given,
      List<String> outputs,
      Set<String> extra,
      Set<String> copied,
      Set<String> notCopied,
      RunScope inPlace) {
    return run(inputs, given, outputs, extra, Map.of(), copied, notCopied, inPlace);
  }

  /**
   * As {@link #run(List, Map, List, Set, Set, Set, RunScope)} on the model with the If branches of
   * {@code taken} inlined (see {@link OnnxControlFlow}); a tapped Loop-body tensor is returned as
   * its last iteration's value, and is left out (in {@code notCopied}) when the Loop ran no
   * iteration.
   */
  synchronized Map<String, Tensor> run(
      List<TensorInfo> inputs,
      Map<String, Tensor> given,
      List<String> outputs,
      Set<String> extra,
      Map<String, Boolean> taken,
      Set<String> copied,
      Set<String> notCopied,
      RunScope inPlace) {
    if (closed) {
      throw PortcheckException.notRunnable(source, "the model view is closed");
    }
    Set<String> extraKey = new TreeSet<>(extra);
    extraKey.removeAll(outputs);
    OrtSession session = session(new Key(extraKey, new java.util.TreeMap<>(taken)));
    Map<String, String> stacked = currentStacked;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (TensorInfo d : inputs) {
        feeds.put(d.name(), OnnxInputs.create(env, d, given.get(d.name())));
      }
      // The session's graph declares every extra tensor as an output (so the graph ORT optimises
      // is the same for every tap set); the run fetches only the wanted ones.
      Set<String> wanted = new LinkedHashSet<>(outputs);
      for (String c : copied) {
        wanted.add(stacked.getOrDefault(c, c));
      }
      List<List<Long>> shapes =
          inputs.stream()
              .map(d -> given.get(d.name()))
              .map(t -> t == null ? List.<Long>of() : Arrays.stream(t.shape()).boxed().toList())
              .toList();
      if (inPlace != null && !shapes.equals(pinnedFor)) {
        releasePinned();
        pinnedFor = shapes;
      }
      Map<String, OnnxTensor> pins = new LinkedHashMap<>();
      Set<String> requested = new LinkedHashSet<>();
      for (String name : wanted) {
        Pinned p = inPlace != null ? pinned.get(name) : null;
        if (p != null) {
          pins.put(name, p.tensor());
        } else {
          requested.add(name);
        }
      }
      OrtSession.Result run;
      if (pins.isEmpty()) {
        run = session.run(feeds, requested);
      } else {
        // A failure is handled below; ORT would also log it as an error on stderr.
        try (OrtSession.RunOptions quiet = new OrtSession.RunOptions()) {
          quiet.setLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
          run = session.run(feeds, requested, pins, quiet);
        } catch (OrtException e) {
          // An output whose shape follows the values (NonZero, non-max suppression) no longer
          // fits the buffer its first run sized: copy this session's outputs from now on.
          releasePinned();
          pinningOff = true;
          pins.clear();
          run = session.run(feeds, wanted);
        }
      }
      try (OrtSession.Result result = run) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, String> bodyTensorOf = new HashMap<>();
        stacked.forEach((body, loopOut) -> bodyTensorOf.put(loopOut, body));
        for (String name : wanted) {
          if (pins.containsKey(name)) {
            Pinned p = pinned.get(name);
            out.put(name, Tensor.view(DType.FLOAT32, p.shape(), p.values(), inPlace, name));
            continue;
          }
          OnnxValue v = result.get(name).orElse(null);
          Tensor t = v instanceof OnnxTensor ot ? copyOut(ot) : null;
          String body = bodyTensorOf.get(name);
          if (body != null) {
            // Stacked over the Loop's iterations: the tap is the last one's.
            Tensor last = t == null ? null : lastAlongFirstAxis(t);
            if (last != null) {
              out.put(body, last);
            } else {
              notCopied.add(body);
            }
            continue;
          }
          if (t != null) {
            out.put(name, t);
            if (inPlace != null && !pinningOff) {
              pin(env, name, (OnnxTensor) v);
            }
          } else {
            notCopied.add(name);
          }
        }
        return out;
      }
    } catch (OrtException e) {
      throw PortcheckException.engine(source, "running the model", e);
    } finally {
      for (OnnxTensor t : feeds.values()) {
        t.close();
      }
    }
  }

  /**
   * Gives {@code name} a buffer for ORT to write into from the next run in place on: after a first
   * run has shown its shape, because an ORT output shape may depend on the input.
   */
  private void pin(OrtEnvironment env, String name, OnnxTensor example) throws OrtException {
    ai.onnxruntime.TensorInfo info = example.getInfo();
    long[] shape = info.getShape();
    long n = info.getNumElements();
    if (info.type != OnnxJavaType.FLOAT || n <= 0 || n > Integer.MAX_VALUE / 4) {
      return;
    }
    FloatBuffer values =
        ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    pinned.put(name, new Pinned(OnnxTensor.createTensor(env, values, shape), values, shape));
  }

  /**
   * Drops the pinned outputs; their buffers stay readable (views of them go stale, not invalid).
   */
  private void releasePinned() {
    for (Pinned p : pinned.values()) {
      p.tensor().close();
    }
    pinned.clear();
    pinnedFor = null;
  }

  /** The last slice along axis 0 ({@code t[-1]}), or null when the axis is empty. */
  static Tensor lastAlongFirstAxis(Tensor t) {
    long[] shape = t.shape();
    if (shape.length == 0 || shape[0] == 0) {
      return null;
    }
    long[] inner = java.util.Arrays.copyOfRange(shape, 1, shape.length);
    int n = (int) Tensor.elementCount(inner);
    int from = (int) ((shape[0] - 1) * n);
    if (t.dtype().isFloating()) {
      float[] all = t.toFloatArray();
      return Tensor.wrapFloats(t.dtype(), inner, java.util.Arrays.copyOfRange(all, from, from + n));
    }
    long[] all = t.toLongArray();
    return Tensor.ofLongs(t.dtype(), inner, java.util.Arrays.copyOfRange(all, from, from + n));
  }

  /**
   * The branch each If takes on these inputs, by If key (true = then_branch): the conditions are
   * computed by small models of just the nodes they depend on, round by round, so that an If inside
   * a branch taken is decided after that branch is inlined. Ifs whose condition needs another
   * control-flow node's output are missing from the result.
   */
  synchronized Map<String, Boolean> conditions(List<TensorInfo> inputs, Map<String, Tensor> given) {
    if (closed) {
      throw PortcheckException.notRunnable(source, "the model view is closed");
    }
    Map<String, Boolean> taken = new java.util.TreeMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (int round = 0; round < 16; round++) {
      Map<String, Boolean> before = Map.copyOf(taken);
      ConditionSession cs = conditionSessions.get(before);
      if (cs == null) {
        GraphProto g = OnnxControlFlow.inline(model.getGraph(), before);
        List<NodeProto> ifs = OnnxControlFlow.topLevelIfs(g);
        OnnxControlFlow.Slice slice =
            ifs.isEmpty() ? null : OnnxControlFlow.conditionSlice(model, g, ifs);
        OrtSession s = null;
        if (slice != null) {
          OrtNatives.prepare();
          try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setInterOpNumThreads(1);
            opts.setIntraOpNumThreads(1);
            opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            ModelProto m = slice.model();
            if (hasExternalData) {
              m = m.toBuilder().setGraph(inline(m.getGraph())).build();
            }
            s = env.createSession(m.toByteArray(), opts);
          } catch (OrtException e) {
            throw loadFailure(e);
          }
        }
        cs = new ConditionSession(s, slice);
        conditionSessions.put(before, cs);
      }
      if (cs.session() == null) {
        break;
      }
      Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
      try {
        for (TensorInfo d : inputs) {
          if (cs.slice().inputs().contains(d.name())) {
            feeds.put(d.name(), OnnxInputs.create(env, d, given.get(d.name())));
          }
        }
        try (OrtSession.Result r = cs.session().run(feeds)) {
          for (int i = 0; i < cs.slice().ifs().size(); i++) {
            Tensor c = copyOut((OnnxTensor) r.get(i));
            if (c == null || c.size() != 1) {
              throw PortcheckException.engine(
                  source,
                  "evaluating the condition of an If",
                  new IllegalStateException("the condition is not a single value"));
            }
            taken.put(cs.slice().ifs().get(i), c.getLong(0) != 0);
          }
        }
      } catch (OrtException e) {
        throw PortcheckException.engine(source, "evaluating the conditions of If nodes", e);
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }
    return taken;
  }

  private OrtSession session(Key key) {
    if (current != null && key.equals(currentKey)) {
      return current;
    }
    releasePinned();
    pinningOff = false;
    // Closed before the next is created, so that two copies of the weights never coexist.
    if (current != null) {
      closeQuietly(current);
      current = null;
    }
    OrtNatives.prepare();
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
    OrtSession created;
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setInterOpNumThreads(1);
      opts.setIntraOpNumThreads(2);
      opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      // Basic optimisations (constant folding, redundant-node removal) never remove a graph
      // output, and skipping the extended fusions keeps each tapped tensor what its node computes.
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      // No arena: it keeps the peak of a tapped run (where nothing can be freed early) for the
      // session's life. ViT-B/16 compare: 300 MB less peak memory, runs no slower.
      opts.setCPUArenaAllocator(false);
      created = create(env, key, opts);
    } catch (OrtException e) {
      throw loadFailure(e);
    }
    current = created;
    currentKey = key;
    return created;
  }

  private PortcheckException loadFailure(OrtException e) {
    return OnnxLoadErrors.translate(source, e.getMessage(), e, model.getGraph());
  }

  /**
   * Loads the model as it is into ONNX Runtime, so that a model the engine refuses (an unknown op,
   * a too-new opset, a tensor defined twice) fails when it is opened, with the reason, rather than
   * halfway through a comparison. The session is the one untapped runs use.
   */
  synchronized void validate() {
    if (closed) {
      throw PortcheckException.notRunnable(source, "the model view is closed");
    }
    session(new Key(new TreeSet<>(), Map.of()));
  }

  /**
   * Creates a session from a file rather than from bytes, so that no serialised copy of the model
   * (ViT-B/16: 330 MB) is held in the Java heap while ORT parses its own: the model file itself
   * when nothing is edited, else the edited model streamed to a temp file that lives for the load.
   * A model with external data is the exception: its protobuf holds no weights, so it is handed
   * over as bytes, with its folder as the one ORT reads the data files from (they were checked safe
   * at open). ORT reads them from disk itself; inlined, a model over 2 GB (GPT-2 with 1.2 B
   * parameters, 4.9 GB) could not be one protobuf at all, and a smaller one would pass through the
   * Java heap and a serialised copy on its way to ORT.
   */
  private OrtSession create(OrtEnvironment env, Key key, OrtSession.SessionOptions opts)
      throws OrtException {
    currentStacked = Map.of();
    if (key.extra().isEmpty() && key.taken().isEmpty() && !hasExternalData) {
      return env.createSession(source.toString(), opts);
    }
    if (hasExternalData) {
      Edited e = edited(key.extra(), key.taken(), false);
      currentStacked = e.stacked();
      opts.addConfigEntry(EXTERNAL_FOLDER, external.folder().toString());
      return env.createSession(e.model().toByteArray(), opts);
    }
    Path tmp = null;
    try {
      tmp = TempFiles.create("portcheck-ort-", ".onnx");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        Edited e = edited(key.extra(), key.taken(), false);
        currentStacked = e.stacked();
        e.model().writeTo(out);
      }
      return env.createSession(tmp.toString(), opts);
    } catch (IOException e) {
      throw PortcheckException.engine(source, "writing the tapped model to a temp file", e);
    } finally {
      TempFiles.delete(tmp);
    }
  }

  /** ORT's session option: where a model given as bytes keeps its external data files. */
  private static final String EXTERNAL_FOLDER =
      "session.model_external_initializers_file_folder_path";

  /** The model with {@code extra} as graph outputs and external data inlined, serialised. */
  byte[] editedModel(Set<String> extra) {
    return edited(extra, Map.of(), true).model().toByteArray();
  }

  /** An edited model, and the stacked Loop output holding each tapped Loop-body tensor. */
  private record Edited(ModelProto model, Map<String, String> stacked) {}

  /**
   * The model with {@code extra} as outputs and {@code taken} control flow inlined; external data
   * inlined too when {@code inlineExternal} (for bytes handed over without a folder).
   */
  private Edited edited(Set<String> extra, Map<String, Boolean> taken, boolean inlineExternal) {
    if (extra.isEmpty() && taken.isEmpty() && !(hasExternalData && inlineExternal)) {
      return new Edited(model, Map.of());
    }
    var loops =
        OnnxControlFlow.withLoopTaps(OnnxControlFlow.inline(model.getGraph(), taken), extra);
    GraphProto.Builder g = loops.getKey().toBuilder();
    Set<String> existing = new HashSet<>();
    g.getOutputList().forEach(o -> existing.add(o.getName()));
    for (String name : extra) {
      String out = loops.getValue().getOrDefault(name, name);
      if (existing.add(out)) {
        g.addOutput(ValueInfoProto.newBuilder().setName(out));
      }
    }
    GraphProto graph = g.build();
    if (hasExternalData && inlineExternal) {
      // Loaded from bytes, ORT has no folder to resolve external files against; reading them here
      // also keeps the path checks in one place.
      graph = inline(graph);
    }
    ModelProto edited = model.toBuilder().setGraph(graph).build();
    // getSerializedSize is an int: past 2 GB it wraps (to a positive number past 4 GB).
    long size = 0;
    for (TensorProto t : graph.getInitializerList()) {
      size += t.getSerializedSize();
    }
    if (size > Integer.MAX_VALUE - 8 || edited.getSerializedSize() < 0) {
      throw PortcheckException.notRunnable(
          source, "with its external data inlined the model exceeds protobuf's 2 GB limit");
    }
    return new Edited(edited, Map.copyOf(loops.getValue()));
  }

  private GraphProto inline(GraphProto graph) {
    return mapExternal(graph, this::inlined);
  }

  /** {@code graph} with {@code f} applied to every external tensor, subgraphs included. */
  private static GraphProto mapExternal(
      GraphProto graph, java.util.function.UnaryOperator<TensorProto> f) {
    GraphProto.Builder b = graph.toBuilder();
    for (int i = 0; i < b.getInitializerCount(); i++) {
      TensorProto t = b.getInitializer(i);
      if (OnnxExternalData.isExternal(t)) {
        b.setInitializer(i, f.apply(t));
      }
    }
    for (int i = 0; i < b.getNodeCount(); i++) {
      NodeProto n = b.getNode(i);
      NodeProto.Builder nb = null;
      for (int a = 0; a < n.getAttributeCount(); a++) {
        AttributeProto attr = n.getAttribute(a);
        AttributeProto.Builder ab = null;
        if (attr.hasT() && OnnxExternalData.isExternal(attr.getT())) {
          ab = attr.toBuilder().setT(f.apply(attr.getT()));
        }
        if (attr.hasG()) {
          ab = (ab == null ? attr.toBuilder() : ab).setG(mapExternal(attr.getG(), f));
        }
        for (int k = 0; k < attr.getGraphsCount(); k++) {
          ab = (ab == null ? attr.toBuilder() : ab).setGraphs(k, mapExternal(attr.getGraphs(k), f));
        }
        if (ab != null) {
          nb = nb == null ? n.toBuilder() : nb;
          nb.setAttribute(a, ab);
        }
      }
      if (nb != null) {
        b.setNode(i, nb);
      }
    }
    return b.build();
  }

  private TensorProto inlined(TensorProto t) {
    byte[] raw = external.read(t);
    return t.toBuilder()
        .clearExternalData()
        .clearDataLocation()
        .setRawData(ByteString.copyFrom(raw))
        .build();
  }

  /** Copies an ORT tensor into the heap with one bulk read per tensor. */
  private static Tensor copyOut(OnnxTensor t) {
    ai.onnxruntime.TensorInfo info = t.getInfo();
    long[] shape = info.getShape();
    switch (info.type) {
      case FLOAT, FLOAT16, BFLOAT16 -> {
        // ORT widens float16/bfloat16 to float in getFloatBuffer.
        FloatBuffer fb = t.getFloatBuffer();
        float[] f;
        if (fb.hasArray() && fb.arrayOffset() == 0 && fb.array().length == fb.remaining()) {
          // getFloatBuffer already copied into a fresh heap buffer: take its array as it is.
          f = fb.array();
        } else {
          f = new float[fb.remaining()];
          fb.get(f);
        }
        DType d =
            switch (info.type) {
              case FLOAT16 -> DType.FLOAT16;
              case BFLOAT16 -> DType.BFLOAT16;
              default -> DType.FLOAT32;
            };
        return Tensor.wrapFloats(d, shape, f);
      }
      case DOUBLE -> {
        DoubleBuffer db = t.getDoubleBuffer();
        double[] d = new double[db.remaining()];
        db.get(d);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
          f[i] = (float) d[i];
        }
        return Tensor.wrapFloats(DType.FLOAT64, shape, f);
      }
      case INT64 -> {
        LongBuffer lb = t.getLongBuffer();
        long[] l = new long[lb.remaining()];
        lb.get(l);
        return Tensor.ofLongs(DType.INT64, shape, l);
      }
      case INT32 -> {
        IntBuffer ib = t.getIntBuffer();
        long[] l = new long[ib.remaining()];
        for (int i = 0; i < l.length; i++) {
          l[i] = ib.get(i);
        }
        return Tensor.ofLongs(DType.INT32, shape, l);
      }
      case INT16 -> {
        ShortBuffer sb = t.getShortBuffer();
        long[] l = new long[sb.remaining()];
        for (int i = 0; i < l.length; i++) {
          l[i] = sb.get(i);
        }
        return Tensor.ofLongs(DType.INT16, shape, l);
      }
      case INT8, UINT8, BOOL -> {
        ByteBuffer bb = t.getByteBuffer();
        long[] l = new long[bb.remaining()];
        boolean signed = info.type == ai.onnxruntime.OnnxJavaType.INT8;
        for (int i = 0; i < l.length; i++) {
          l[i] = signed ? bb.get(i) : bb.get(i) & 0xff;
        }
        DType d =
            switch (info.type) {
              case INT8 -> DType.INT8;
              case UINT8 -> DType.UINT8;
              default -> DType.BOOL;
            };
        return Tensor.ofLongs(d, shape, l);
      }
      default -> {
        return null; // strings and unknown types are not comparable numbers
      }
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    releasePinned();
    if (current != null) {
      closeQuietly(current);
      current = null;
    }
    for (ConditionSession cs : conditionSessions.values()) {
      if (cs.session() != null) {
        closeQuietly(cs.session());
      }
    }
    conditionSessions.clear();
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException | RuntimeException e) {
      // A failed native release cannot be retried; the session is dropped either way.
    }
  }
}
