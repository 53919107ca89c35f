package dev.portcheck.importers.api;

import java.nio.file.Path;

/**
 * A service that opens model files of one framework. Implementations are listed in {@code
 * META-INF/services/dev.portcheck.importers.api.ModelImporter} and found by {@link Importers}.
 */
public interface ModelImporter {

  /** The framework this importer reads. */
  Framework framework();

  /** Short description of the formats it reads, for error messages ("ONNX model (.onnx)"). */
  String formats();

  /**
   * Whether {@code path} looks like a model this importer reads, judged from its content (magic
   * bytes, zip entries, folder layout), not only its extension. Must not throw on bad input.
   */
  boolean canOpen(Path path);

  /**
   * Opens the model.
   *
   * @throws PortcheckException naming the file and the problem when it cannot be read safely
   */
  ModelView open(Path path);
}
