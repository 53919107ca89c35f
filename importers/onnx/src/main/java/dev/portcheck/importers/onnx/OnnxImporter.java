package dev.portcheck.importers.onnx;

import ai.onnxruntime.OrtEnvironment;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.portcheck.importers.api.FileSniffer;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.Layout;
import dev.portcheck.importers.api.LayoutConvention;
import dev.portcheck.importers.api.ModelImporter;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.onnx.proto.ModelProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** Opens ONNX models ({@code .onnx}, a serialised {@code ModelProto}) with ONNX Runtime. */
public final class OnnxImporter implements ModelImporter {

  /** Creates the importer; {@link java.util.ServiceLoader} uses this. */
  public OnnxImporter() {}

  @Override
  public Framework framework() {
    return Framework.ONNX;
  }

  /**
   * Inputs of 4 dimensions are channels-first (ONNX's operators are); activations declare their own
   * layout or none: graphs converted from TensorFlow hold NHWC tensors between Transposes.
   */
  static final LayoutConvention LAYOUTS = new LayoutConvention(Layout.NCHW, Layout.UNSPECIFIED);

  @Override
  public String engine() {
    return "onnxruntime";
  }

  @Override
  public String engineVersion() {
    return Importers.jarVersion(OrtEnvironment.class);
  }

  @Override
  public LayoutConvention layoutConvention() {
    return LAYOUTS;
  }

  /**
   * ONNX Runtime's contrib {@code BiasAdd} (com.microsoft) adds a bias as TensorFlow's does; a
   * {@code Gather} is how exporters write an embedding lookup (the table is its data input); {@code
   * Erf} is the exact GELU's mark when torch.onnx writes GELU out as element-wise ops.
   */
  @Override
  public Set<OpRole> roles(String opType) {
    return switch (opType) {
      case "BiasAdd" -> Set.of(OpRole.BIAS_ADD);
      case "Gather" -> Set.of(OpRole.LOOKUP);
      case "Erf" -> Set.of(OpRole.ERF);
      default -> Set.of();
    };
  }

  @Override
  public String formats() {
    return "ONNX model (.onnx)";
  }

  /**
   * Claims files whose top-level protobuf fields form a ModelProto with an ir_version and a graph,
   * whatever their name. A file named {@code .onnx} is also claimed when it is empty or starts like
   * a ModelProto but is cut short, so that opening it reports the real problem instead of "unknown
   * format". Zips and pickles are left to the PyTorch importer.
   */
  @Override
  public boolean canOpen(Path path) {
    try {
      if (!Files.isRegularFile(path) || FileSniffer.isZip(path) || FileSniffer.isPickle(path)) {
        return false;
      }
      OnnxFileProbe.Verdict v = OnnxFileProbe.probe(path).verdict();
      if (v == OnnxFileProbe.Verdict.MODEL) {
        return true;
      }
      boolean named = path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
      return named && v != OnnxFileProbe.Verdict.OTHER;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public long referencedBytes(Path path) {
    return OnnxStoredBytes.externalBytes(path);
  }

  @Override
  public ModelView open(Path path) {
    OnnxModelView view = read(path);
    try {
      view.validate();
    } catch (RuntimeException e) {
      view.close();
      throw e;
    }
    return view;
  }

  /**
   * Everything {@link #open} does except loading the model into ONNX Runtime: the file checks, the
   * protobuf parse and the model view (pure Java; tests and the fuzz tests use it).
   */
  static OnnxModelView read(Path path) {
    if (!Files.exists(path)) {
      throw PortcheckException.notFound(path);
    }
    if (Files.isDirectory(path)) {
      throw PortcheckException.corrupt(path, "it is a folder, not an ONNX file", null);
    }
    OnnxFileProbe.Result probe = OnnxFileProbe.probe(path);
    switch (probe.verdict()) {
      case EMPTY, TRUNCATED -> throw PortcheckException.truncated(path, probe.detail());
      case OTHER ->
          throw PortcheckException.corrupt(
              path, "not an ONNX ModelProto (" + probe.detail() + ")", null);
      case MODEL -> {}
    }
    long size;
    try {
      size = Files.size(path);
    } catch (IOException e) {
      throw PortcheckException.unreadable(path, e);
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw PortcheckException.corrupt(
          path, "the file is over 2 GB; ONNX keeps such weights in external data files", null);
    }
    ModelProto model;
    try {
      byte[] bytes = Files.readAllBytes(path);
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      // Deeply nested control flow (If inside Loop inside If...) exceeds protobuf's default of 100.
      in.setRecursionLimit(1000);
      model = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("ended unexpectedly") || m.contains("truncated")) {
        throw PortcheckException.truncated(path, "the protobuf data ends inside a field");
      }
      throw PortcheckException.corrupt(path, "its protobuf data is invalid (" + m + ")", e);
    } catch (IOException e) {
      throw PortcheckException.unreadable(path, e);
    }
    if (!model.hasGraph()) {
      throw PortcheckException.corrupt(path, "the ModelProto has no graph", null);
    }
    return new OnnxModelView(path, model);
  }
}
