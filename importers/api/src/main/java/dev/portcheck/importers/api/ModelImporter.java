package dev.portcheck.importers.api;

import java.nio.file.Path;
import java.util.Set;

/**
 * A service that opens model files of one framework. Implementations are listed in {@code
 * META-INF/services/dev.portcheck.importers.api.ModelImporter} and found by {@link Importers}.
 */
public interface ModelImporter {

  /** The framework this importer reads. */
  Framework framework();

  /**
   * The engine it runs models with, as a baseline records it ({@code onnxruntime}, {@code
   * tensorflow-java}, {@code djl-pytorch}).
   */
  String engine();

  /**
   * The engine's version ({@code 1.22.0}), or {@code "unknown"} when its jar does not say. Read
   * without loading the engine's natives: a baseline records it, and a changed engine explains a
   * small numeric drift.
   */
  String engineVersion();

  /** How this framework lays out 4-D tensors that declare no layout. */
  default LayoutConvention layoutConvention() {
    return LayoutConvention.NONE;
  }

  /**
   * The roles of a layer of {@code opType} (this framework's op type) that its {@link OpKind} does
   * not say; none by default. Keyed by op type so that a recorded model (a baseline) has them too.
   */
  default Set<OpRole> roles(String opType) {
    return Set.of();
  }

  /**
   * Whether the element types its models declare for their inputs are binding: TorchScript declares
   * float for every input and takes whatever it is given, so a probe keeps its own type.
   */
  default boolean declaresInputTypes() {
    return true;
  }

  /** Short description of the formats it reads, for error messages ("ONNX model (.onnx)"). */
  String formats();

  /**
   * Whether {@code path} looks like a model this importer reads, judged from its content (magic
   * bytes, zip entries, folder layout), not only its extension. Must not throw on bad input.
   */
  boolean canOpen(Path path);

  /**
   * Bytes of the files beside {@code path} that the model refers to and keeps weights in (ONNX
   * external data), not counted in the model's own file or folder; 0 by default. Read without
   * loading the model (a memory estimate comes before loading); must not throw on bad input.
   *
   * @param path a model this importer {@linkplain #canOpen can open}
   * @return bytes, 0 when none or unknown
   */
  default long referencedBytes(Path path) {
    return 0;
  }

  /**
   * Opens the model.
   *
   * @throws PortcheckException naming the file and the problem when it cannot be read safely
   */
  ModelView open(Path path);
}
