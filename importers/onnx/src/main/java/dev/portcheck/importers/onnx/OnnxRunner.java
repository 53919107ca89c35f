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

  /** The extra outputs of the one open session, and that session (null before the first run). */
  private Set<String> currentKey;

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
      boolean inPlace) {
    if (closed) {
      throw PortcheckException.notRunnable(source, "the model view is closed");
    }
    Set<String> key = new TreeSet<>(extra);
    key.removeAll(outputs);
    OrtSession session = session(key);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (TensorInfo d : inputs) {
        feeds.put(d.name(), OnnxInputs.create(env, d, given.get(d.name())));
      }
      // The session's graph declares every extra tensor as an output (so the graph ORT optimises
      // is the same for every tap set); the run fetches only the wanted ones.
      Set<String> wanted = new LinkedHashSet<>(outputs);
      wanted.addAll(copied);
      List<List<Long>> shapes =
          inputs.stream()
              .map(d -> given.get(d.name()))
              .map(t -> t == null ? List.<Long>of() : Arrays.stream(t.shape()).boxed().toList())
              .toList();
      if (inPlace && !shapes.equals(pinnedFor)) {
        releasePinned();
        pinnedFor = shapes;
      }
      Map<String, OnnxTensor> pins = new LinkedHashMap<>();
      Set<String> requested = new LinkedHashSet<>();
      for (String name : wanted) {
        Pinned p = inPlace ? pinned.get(name) : null;
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
        for (String name : wanted) {
          if (pins.containsKey(name)) {
            Pinned p = pinned.get(name);
            out.put(name, Tensor.view(DType.FLOAT32, p.shape(), p.values()));
            continue;
          }
          OnnxValue v = result.get(name).orElse(null);
          Tensor t = v instanceof OnnxTensor ot ? copyOut(ot) : null;
          if (t != null) {
            out.put(name, t);
            if (inPlace && !pinningOff) {
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

  private OrtSession session(Set<String> extra) {
    if (current != null && extra.equals(currentKey)) {
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
      created = create(env, extra, opts);
    } catch (OrtException e) {
      throw loadFailure(e);
    }
    current = created;
    currentKey = extra;
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
    session(new TreeSet<>());
  }

  /**
   * Creates a session from a file rather than from bytes, so that no serialised copy of the model
   * (ViT-B/16: 330 MB) is held in the Java heap while ORT parses its own: the model file itself
   * when nothing is edited, else the edited model streamed to a temp file that lives for the load.
   */
  private OrtSession create(OrtEnvironment env, Set<String> extra, OrtSession.SessionOptions opts)
      throws OrtException {
    if (extra.isEmpty() && !hasExternalData) {
      return env.createSession(source.toString(), opts);
    }
    Path tmp = null;
    try {
      tmp = TempFiles.create("portcheck-ort-", ".onnx");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        edited(extra).writeTo(out);
      }
      return env.createSession(tmp.toString(), opts);
    } catch (IOException e) {
      throw PortcheckException.engine(source, "writing the tapped model to a temp file", e);
    } finally {
      TempFiles.delete(tmp);
    }
  }

  /** The model with {@code extra} as graph outputs and external data inlined, serialised. */
  byte[] editedModel(Set<String> extra) {
    return edited(extra).toByteArray();
  }

  private ModelProto edited(Set<String> extra) {
    if (extra.isEmpty() && !hasExternalData) {
      return model;
    }
    GraphProto.Builder g = model.getGraph().toBuilder();
    Set<String> existing = new HashSet<>();
    g.getOutputList().forEach(o -> existing.add(o.getName()));
    for (String name : extra) {
      if (existing.add(name)) {
        g.addOutput(ValueInfoProto.newBuilder().setName(name));
      }
    }
    GraphProto graph = g.build();
    if (hasExternalData) {
      // Loaded from bytes, ORT has no folder to resolve external files against; reading them here
      // also keeps the path checks in one place.
      graph = inline(graph);
    }
    ModelProto edited = model.toBuilder().setGraph(graph).build();
    long size = edited.getSerializedSize();
    if (size < 0 || size > Integer.MAX_VALUE - 8) {
      throw PortcheckException.notRunnable(
          source, "with its external data inlined the model exceeds protobuf's 2 GB limit");
    }
    return edited;
  }

  private GraphProto inline(GraphProto graph) {
    GraphProto.Builder b = graph.toBuilder();
    for (int i = 0; i < b.getInitializerCount(); i++) {
      TensorProto t = b.getInitializer(i);
      if (OnnxExternalData.isExternal(t)) {
        b.setInitializer(i, inlined(t));
      }
    }
    for (int i = 0; i < b.getNodeCount(); i++) {
      NodeProto n = b.getNode(i);
      NodeProto.Builder nb = null;
      for (int a = 0; a < n.getAttributeCount(); a++) {
        AttributeProto attr = n.getAttribute(a);
        AttributeProto.Builder ab = null;
        if (attr.hasT() && OnnxExternalData.isExternal(attr.getT())) {
          ab = attr.toBuilder().setT(inlined(attr.getT()));
        }
        if (attr.hasG()) {
          ab = (ab == null ? attr.toBuilder() : ab).setG(inline(attr.getG()));
        }
        for (int k = 0; k < attr.getGraphsCount(); k++) {
          ab = (ab == null ? attr.toBuilder() : ab).setGraphs(k, inline(attr.getGraphs(k)));
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
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException | RuntimeException e) {
      // A failed native release cannot be retried; the session is dropped either way.
    }
  }
}
