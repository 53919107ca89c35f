package dev.portcheck.importers.pytorch;

import dev.portcheck.importers.api.DType;
import dev.portcheck.importers.api.Layer;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.ModelDescription;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpKind;
import dev.portcheck.importers.api.ParameterInfo;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.api.RunResult;
import dev.portcheck.importers.api.RunScope;
import dev.portcheck.importers.api.TapSelection;
import dev.portcheck.importers.api.Tensor;
import dev.portcheck.importers.api.TensorInfo;
import dev.portcheck.importers.pytorch.archive.PtArchive;
import dev.portcheck.importers.pytorch.pickle.PtPickled;
import dev.portcheck.importers.pytorch.script.PtAttributes;
import dev.portcheck.importers.pytorch.script.PtClassCode;
import dev.portcheck.importers.pytorch.script.PtCodeIndex;
import dev.portcheck.importers.pytorch.script.PtModuleTree;
import dev.portcheck.importers.pytorch.script.PtRewriter;
import dev.portcheck.importers.pytorch.script.PtRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript archive: the module tree, parameters and buffers and attributes read from the
 * archive itself (the unpickler sees buffers DJL hides), and runs through libtorch. Tapped runs use
 * a rewrite of the archive's code ({@link PtRewriter}); a recorded module output is the first
 * tensor of its first call. TorchScript declares no input shapes, so inputs carry none.
 */
public final class PtScriptView implements ModelView {
  private final Path source;
  private final PtArchive archive;
  private final PtCheckpointFile data;
  private final PtCodeIndex code;
  private final PtModuleTree tree;
  private final PtClassCode.Method rootForward;
  private final String rootClass;
  private final List<Layer> layers;
  private final Map<String, PtPickled.TensorRef> refs;
  private final Map<String, ParameterInfo> parameters;
  private final List<TensorInfo> inputs;
  private final List<TensorInfo> outputs;
  private final Map<String, String> metadata;
  private final boolean stateful;
  private final PtRunner runner;
  private final RunScope.Sequence scopes;
  private final ModelDescription description;
  private boolean closed;

  PtScriptView(Path source, PtArchive archive) {
    this.source = source;
    this.scopes = new RunScope.Sequence(String.valueOf(source.getFileName()));
    this.archive = archive;
    this.data = PtCheckpointFile.readZip(archive);
    if (!(data.root() instanceof PtPickled.Obj root)) {
      throw PortcheckException.corrupt(
          source, archive.root() + "data.pkl does not hold a TorchScript module object", null);
    }
    this.code = PtCodeIndex.read(archive);
    this.rootClass = root.className();
    PtClassCode rootCode = code.get(rootClass);
    if (rootCode == null || !rootCode.methods().containsKey("forward")) {
      throw PortcheckException.corrupt(
          source, "no code for the root module class " + rootClass + " or it has no forward", null);
    }
    this.rootForward = rootCode.methods().get("forward");
    this.stateful =
        rootCode.methods().containsKey("reset_states")
            && rootCode.methods().get("reset_states").params().isEmpty();
    this.tree = PtModuleTree.build(root, code);
    PtRewriter rewriter = new PtRewriter(code);
    boolean canTap = rewriter.canRewrite(rootClass);
    java.util.Set<String> recorded =
        canTap ? rewriter.recordedPaths(rootClass) : java.util.Set.of();
    List<Layer> ls = new ArrayList<>();
    Map<String, PtPickled.TensorRef> rs = new LinkedHashMap<>();
    Map<String, ParameterInfo> ps = new LinkedHashMap<>();
    for (PtModuleTree.Node n : tree.nodes()) {
      String simple = PtKinds.simpleName(n.className());
      OpKind kind = PtKinds.kindOf(simple, n.hasChildren());
      PtPickled.TensorRef weight = n.tensors().get("weight");
      boolean denseConv1d = PtKinds.isDenseConv1d(n.className(), weight);
      if (denseConv1d) {
        kind = OpKind.LINEAR;
      }
      var attrs = PtAttributes.read(n);
      if (kind == OpKind.CLIP
          && attrs.get("min") instanceof dev.portcheck.importers.api.AttributeValue.Float lo
          && attrs.get("max") instanceof dev.portcheck.importers.api.AttributeValue.Float hi
          && lo.value() == 0.0
          && hi.value() == 6.0) {
        kind = OpKind.RELU6;
      }
      Map<String, String> roles = new LinkedHashMap<>();
      for (Map.Entry<String, PtPickled.TensorRef> t : n.tensors().entrySet()) {
        String full = n.path().isEmpty() ? t.getKey() : n.path() + "." + t.getKey();
        rs.put(full, t.getValue());
        ps.put(
            full,
            new ParameterInfo(
                full,
                t.getValue().dtype(),
                t.getValue().shapeList(),
                denseConv1d && t.getKey().equals("weight")
                    ? dev.portcheck.importers.api.WeightLayout.IO
                    : PtKinds.layoutOf(full, t.getValue().shapeList(), kind, simple)));
        if (!t.getKey().equals("num_batches_tracked")) {
          roles.put(PtKinds.role(kind, t.getKey()), full);
        }
      }
      if (kind == OpKind.CONV
          && n.tensors().get("weight") != null
          && !attrs.containsKey("kernel_shape")) {
        long[] w = n.tensors().get("weight").shape();
        List<Long> k = new ArrayList<>();
        for (int i = 2; i < w.length; i++) {
          k.add(w[i]);
        }
        attrs = new LinkedHashMap<>(attrs);
        attrs.put("kernel_shape", dev.portcheck.importers.api.AttributeValue.ints(k));
      }
      if (n.path().isEmpty()) {
        continue;
      }
      PtClassCode.Method fwd = n.code() == null ? null : n.code().methods().get("forward");
      String why = untappable(n, fwd, canTap, recorded);
      ls.add(
          new Layer(
              n.path(),
              PtKinds.displayName(n.className()),
              kind,
              List.of(),
              List.of(n.path()),
              attrs,
              roles,
              Layout.UNSPECIFIED,
              n.parent() == null || n.parent().isEmpty() ? null : n.parent(),
              why == null,
              why != null || !denseConv1d
                  ? why
                  : "Hugging Face Conv1D, a dense layer: y = x @ W + b with W stored [in, out],"
                      + " the transpose of nn.Linear's weight"));
    }
    this.layers = List.copyOf(ls);
    this.refs = Collections.unmodifiableMap(rs);
    this.parameters = Collections.unmodifiableMap(ps);
    List<TensorInfo> in = new ArrayList<>();
    // TorchScript types every tensor input as Tensor; one that indexes an embedding holds ids.
    java.util.Set<String> ids = rewriter.embeddingIndexParameters(rootClass);
    for (String p : rootForward.params()) {
      String name = PtClassCode.Method.paramName(p);
      DType dt = dtypeOf(PtClassCode.Method.paramType(p));
      in.add(
          new TensorInfo(
              name,
              ids.contains(name) && dt == DType.FLOAT32 ? DType.INT64 : dt,
              null,
              Layout.UNSPECIFIED));
    }
    this.inputs = List.copyOf(in);
    this.outputs = List.copyOf(outputInfos(rootForward.returnType()));
    Map<String, String> md = new LinkedHashMap<>();
    md.put("format", "torchscript");
    md.put("rootClass", PtKinds.displayName(rootClass));
    if (archive.has("version")) {
      md.put("archiveVersion", new String(archive.read("version"), StandardCharsets.UTF_8).strip());
    }
    md.put("tapping", canTap ? "code rewrite (first call of each module)" : "unavailable");
    this.metadata = Collections.unmodifiableMap(md);
    this.runner = new PtRunner(source);
    this.description =
        ModelDescription.of(
            new PtImporter(), source, metadata, inputs, outputs, layers, parameters);
  }

  /** Why a module's output cannot be recorded, or null when it can. */
  private String untappable(
      PtModuleTree.Node n, PtClassCode.Method fwd, boolean canTap, java.util.Set<String> recorded) {
    if (!canTap) {
      return "not tappable: the root module "
          + PtKinds.displayName(rootClass)
          + " has no forward code portcheck can rewrite to record module outputs";
    }
    if (n.code() == null) {
      return "not tappable: the archive holds no code for its class "
          + PtKinds.displayName(n.className());
    }
    if (fwd == null && !n.hasChildren()) {
      return "not tappable: it is never called; the archive holds no forward for it (its parent"
          + " reads its parameters directly, as nn.MultiheadAttention does with out_proj)";
    }
    if (fwd == null) {
      return "not tappable: a "
          + PtKinds.simpleName(n.className())
          + " holds modules but has no forward of its own; its children are tapped instead";
    }
    if (PtRewriter.recordExpression(fwd.returnType()) == null) {
      return "not tappable: its forward returns "
          + (fwd.returnType().isEmpty() ? "nothing declared" : fwd.returnType())
          + ", not a tensor";
    }
    if (!recorded.contains(n.path())) {
      return "not tappable: its forward is never called on a path portcheck can follow from the"
          + " root's forward (the module is unused, or called through an argument or a loop)";
    }
    return null;
  }

  private static DType dtypeOf(String annotation) {
    return switch (annotation) {
      case "int" -> DType.INT64;
      case "float" -> DType.FLOAT64;
      case "bool" -> DType.BOOL;
      case "str" -> DType.STRING;
      case "Tensor", "" -> DType.FLOAT32;
      default -> DType.OTHER;
    };
  }

  private static List<TensorInfo> outputInfos(String ret) {
    String t = ret.replace(" ", "");
    if (t.startsWith("Tuple[") && t.endsWith("]")) {
      List<TensorInfo> out = new ArrayList<>();
      int n = splitTop(t.substring(6, t.length() - 1)).size();
      for (int i = 0; i < n; i++) {
        out.add(new TensorInfo("output_" + i, DType.FLOAT32, null, Layout.UNSPECIFIED));
      }
      return out;
    }
    return List.of(new TensorInfo("output", DType.FLOAT32, null, Layout.UNSPECIFIED));
  }

  private static List<String> splitTop(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  @Override
  public ModelDescription description() {
    return description;
  }

  @Override
  public synchronized Tensor parameter(String name) {
    ensureOpen();
    PtPickled.TensorRef r = refs.get(name);
    if (r == null) {
      throw PortcheckException.unknownParameter(source, name, refs.keySet());
    }
    return data.storages().materialize(name, r);
  }

  @Override
  public boolean runnable() {
    return true;
  }

  @Override
  public RunResult run(Map<String, Tensor> given, TapSelection taps) {
    return run(given, taps, false);
  }

  /** Float results are copied into direct buffers this view reuses on its next run. */
  @Override
  public RunResult runInPlace(Map<String, Tensor> given, TapSelection taps) {
    return run(given, taps, true);
  }

  private synchronized RunResult run(
      Map<String, Tensor> given, TapSelection taps, boolean inPlace) {
    ensureOpen();
    List<Object> args = arguments(given);
    // Any run overwrites the buffers earlier views read.
    RunScope scope = scopes.next();
    RunScope into = inPlace ? scope : null;
    boolean tapping = taps.all() || !taps.layers().isEmpty();
    for (String l : taps.layers()) {
      if (layer(l).isEmpty()) {
        throw PortcheckException.badInput(
            source,
            "no layer '" + l + "' to tap; the module tree has " + layers.size() + " modules");
      }
    }
    PtRunner.Output out =
        tapping
            ? runner.runTapped(
                this::writeRewrittenArchive,
                PtRewriter.RUN_METHOD,
                args,
                stateful,
                recordKeys(taps),
                into)
            : runner.runPlain(args, stateful, into);
    Map<String, Tensor> outputs = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(out.outputs().size(), this.outputs.size()); i++) {
      outputs.put(this.outputs.get(i).name(), out.outputs().get(i));
    }
    Map<String, Tensor> layerOutputs = new LinkedHashMap<>();
    List<String> untapped = new ArrayList<>();
    Map<String, String> reasons = new LinkedHashMap<>();
    if (tapping) {
      for (Layer l : layers) {
        if (!taps.includes(l.name())) {
          continue;
        }
        Tensor t = out.records().get(l.name() + ".");
        if (t != null) {
          layerOutputs.put(l.name(), t);
        } else {
          untapped.add(l.name());
          reasons.put(
              l.name(),
              l.tappable()
                  ? "not called on this input (its call sits in a branch this run did not take)"
                  : l.note());
        }
      }
    }
    return new RunResult(outputs, layerOutputs, untapped, reasons, scope);
  }

  /**
   * The recording keys (module path plus a dot) of the tappable layers {@code taps} asks for: the
   * rewritten module records only those, so a layer walk pays for the layers alignment kept.
   */
  private List<String> recordKeys(TapSelection taps) {
    List<String> keys = new ArrayList<>();
    for (Layer l : layers) {
      if (l.tappable() && taps.includes(l.name())) {
        keys.add(l.name() + ".");
      }
    }
    return keys;
  }

  private List<Object> arguments(Map<String, Tensor> given) {
    for (String k : given.keySet()) {
      if (inputs.stream().noneMatch(i -> i.name().equals(k))) {
        throw PortcheckException.badInput(
            source,
            "unknown input '"
                + k
                + "'; forward takes "
                + inputs.stream().map(TensorInfo::name).toList());
      }
    }
    List<Object> args = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      TensorInfo info = inputs.get(i);
      Tensor t = given.get(info.name());
      String param = rootForward.params().get(i);
      if (t == null) {
        if (PtClassCode.Method.hasDefault(param)) {
          // Later arguments cannot be passed positionally once one is left out.
          break;
        }
        throw PortcheckException.badInput(
            source, "missing input '" + info.name() + "' (" + param.strip() + ")");
      }
      String annotation = PtClassCode.Method.paramType(param);
      if (annotation.equals("Tensor") || annotation.isEmpty()) {
        if (info.dtype() == DType.INT64 && t.dtype().isFloating()) {
          throw PortcheckException.badInput(
              source,
              "input '"
                  + info.name()
                  + "' indexes an embedding table, so it takes integer ids, not "
                  + t.dtype()
                  + " values; give an int64 .npy of ids below the vocabulary size");
        }
        args.add(t); // a tensor of whatever dtype it holds (token ids are int64)
        continue;
      }
      switch (info.dtype()) {
        case INT64 -> args.add(scalar(info, t).getLong(0));
        case FLOAT64 -> args.add((double) scalar(info, t).getFloat(0));
        case BOOL -> args.add(scalar(info, t).getLong(0) != 0);
        default ->
            throw PortcheckException.badInput(
                source,
                "input '" + info.name() + "' has type " + param + ", which portcheck cannot pass");
      }
    }
    return args;
  }

  private Tensor scalar(TensorInfo info, Tensor t) {
    if (t.size() != 1) {
      throw PortcheckException.badInput(
          source,
          "input '"
              + info.name()
              + "' is a scalar; got shape "
              + java.util.Arrays.toString(t.shape()));
    }
    return t;
  }

  /** The archive with its code rewritten to record submodule outputs (pure Java), as bytes. */
  byte[] rewrittenArchive() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      writeRewrittenArchive(bytes);
    } catch (IOException e) {
      throw PortcheckException.engine(source, "assembling the rewritten archive", e);
    }
    return bytes.toByteArray();
  }

  /**
   * Writes the rewritten archive entry by entry: streamed to the temp file libtorch loads, a
   * ViT-B/16 archive (330 MB) is never held whole in the heap.
   */
  void writeRewrittenArchive(OutputStream out) throws IOException {
    Map<String, String> changed = new PtRewriter(code).rewrite(rootClass);
    // Not closed: closing the zip would close the caller's stream; finish() writes the end.
    ZipOutputStream zip = new ZipOutputStream(out);
    for (String name : archive.names()) {
      if (name.endsWith(".debug_pkl")
          && changed.containsKey(name.substring(0, name.length() - 10))) {
        // Debug info maps offsets of the original text; stale ranges are worse than none.
        continue;
      }
      byte[] content =
          changed.containsKey(name)
              ? changed.get(name).getBytes(StandardCharsets.UTF_8)
              : archive.readEntry(name);
      ZipEntry e = new ZipEntry(name);
      e.setMethod(ZipEntry.STORED);
      e.setSize(content.length);
      e.setCompressedSize(content.length);
      CRC32 crc = new CRC32();
      crc.update(content);
      e.setCrc(crc.getValue());
      e.setTime(0);
      zip.putNextEntry(e);
      zip.write(content);
      zip.closeEntry();
    }
    zip.finish();
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(source + ": the model view is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    scopes.close();
    try {
      runner.close();
    } catch (RuntimeException e) {
      // Keep closing the archive.
    }
    archive.close();
  }
}
