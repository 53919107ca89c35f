package dev.portcheck.importers.api;

import java.util.Locale;

/** The framework a model file belongs to. */
public enum Framework {
  ONNX,
  TENSORFLOW,
  PYTORCH;

  /** Lower-case identifier used in JSON and on the command line ({@code onnx}, {@code pytorch}). */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
