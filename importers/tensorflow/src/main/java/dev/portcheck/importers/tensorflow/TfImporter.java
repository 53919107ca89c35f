package dev.portcheck.importers.tensorflow;

import dev.portcheck.importers.api.FileSniffer;
import dev.portcheck.importers.api.Framework;
import dev.portcheck.importers.api.Importers;
import dev.portcheck.importers.api.LayoutConvention;
import dev.portcheck.importers.api.ModelImporter;
import dev.portcheck.importers.api.ModelView;
import dev.portcheck.importers.api.OpRole;
import dev.portcheck.importers.api.PortcheckException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Opens TensorFlow models with TensorFlow Java: a TF2 SavedModel folder ({@code saved_model.pb} +
 * {@code variables/}, as written by tf_keras, Keras 3 {@code model.export}, {@code
 * tf.saved_model.save} or onnx2tf) or a frozen GraphDef {@code .pb} file.
 */
public final class TfImporter implements ModelImporter {

  /** Creates the importer; {@link java.util.ServiceLoader} uses this. */
  public TfImporter() {}

  @Override
  public Framework framework() {
    return Framework.TENSORFLOW;
  }

  @Override
  public String engine() {
    return "tensorflow-java";
  }

  @Override
  public String engineVersion() {
    return Importers.jarVersion(org.tensorflow.TensorFlow.class);
  }

  /** Keras and TensorFlow's ops are channels-last unless a layer declares otherwise. */
  @Override
  public LayoutConvention layoutConvention() {
    return LayoutConvention.CHANNELS_LAST;
  }

  @Override
  public Set<OpRole> roles(String opType) {
    return TfOpKinds.roles(opType);
  }

  @Override
  public String formats() {
    return "TensorFlow SavedModel folder (saved_model.pb + variables/) or frozen GraphDef (.pb)";
  }

  /**
   * Claims folders holding a {@code saved_model.pb}, and files that parse as a GraphDef with named
   * ops. A {@code .pb} file that does not parse is claimed too (unless it looks like another
   * format), so that opening it reports the real problem instead of "unknown format".
   */
  @Override
  public boolean canOpen(Path path) {
    try {
      if (Files.isDirectory(path)) {
        return Files.isRegularFile(path.resolve(TfLoader.SAVED_MODEL_PB));
      }
      if (!Files.isRegularFile(path) || FileSniffer.isZip(path) || FileSniffer.isPickle(path)) {
        return false;
      }
      if (TfLoader.SAVED_MODEL_PB.equals(String.valueOf(path.getFileName()))) {
        return true;
      }
      byte[] head = FileSniffer.head(path, 1);
      // 0x08 is ONNX's leading ir_version field (a varint; GraphDef's field 1, node, is a message):
      // leave those to the ONNX importer before parsing, which reads the whole file (1.6 GB and
      // 3 GB of heap for an ONNX GPT-2-medium).
      if (head.length > 0 && head[0] == 0x08) {
        return false;
      }
      if (TfLoader.probeGraphDef(path)) {
        return true;
      }
      boolean named = path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pb");
      return named;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public ModelView open(Path path) {
    if (!Files.exists(path)) {
      throw PortcheckException.notFound(path);
    }
    if (Files.isDirectory(path)) {
      return TfLoader.openSavedModel(path);
    }
    if (TfLoader.SAVED_MODEL_PB.equals(String.valueOf(path.getFileName()))) {
      Path dir = path.toAbsolutePath().getParent();
      return TfLoader.openSavedModel(dir);
    }
    return TfLoader.openFrozen(path);
  }
}
