package dev.portcheck.importers.onnx;

import dev.portcheck.importers.api.PortcheckException;
import dev.portcheck.importers.onnx.proto.StringStringEntryProto;
import dev.portcheck.importers.onnx.proto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Resolves and reads tensor data that an ONNX model keeps in files beside it. The location comes
 * from an untrusted file, so it must stay inside the model's folder: absolute paths, {@code ../}
 * escapes and symbolic links pointing elsewhere are refused before anything is opened.
 */
final class OnnxExternalData {
  private final Path model;
  private final Path folder;

  OnnxExternalData(Path model) {
    this.model = model;
    Path parent = model.toAbsolutePath().normalize().getParent();
    this.folder = parent == null ? Path.of("").toAbsolutePath() : parent;
  }

  /** The model's folder, against which locations resolve. */
  Path folder() {
    return folder;
  }

  /** Whether the tensor keeps its values outside the model file. */
  static boolean isExternal(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  /** Checks the tensor's location is safe and exists, without reading it. */
  Path check(TensorProto t) {
    String location = entry(t, "location");
    if (location == null || location.isEmpty()) {
      throw PortcheckException.corrupt(
          model, "tensor '" + t.getName() + "' is external but names no location", null);
    }
    Path rel;
    try {
      rel = Path.of(location);
    } catch (InvalidPathException e) {
      throw PortcheckException.unsafe(
          model,
          "external data path '" + location + "' of tensor '" + t.getName() + "' is not valid");
    }
    // Windows drive letters and leading slashes count as absolute whatever the host OS says.
    if (rel.isAbsolute()
        || location.startsWith("/")
        || location.startsWith("\\")
        || location.matches("^[A-Za-z]:.*")) {
      throw PortcheckException.unsafe(
          model,
          "external data path '"
              + location
              + "' of tensor '"
              + t.getName()
              + "' is absolute; ONNX external data must be relative to the model's folder");
    }
    Path resolved = folder.resolve(rel).normalize();
    if (!resolved.startsWith(folder)) {
      throw PortcheckException.unsafe(
          model,
          "external data path '"
              + location
              + "' of tensor '"
              + t.getName()
              + "' leaves the model's folder "
              + folder);
    }
    if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
      throw PortcheckException.of(
          PortcheckException.Reason.NOT_FOUND,
          model
              + ": external data file '"
              + location
              + "' of tensor '"
              + t.getName()
              + "' does not exist in "
              + folder
              + ". Copy it beside the model.",
          null);
    }
    try {
      Path real = resolved.toRealPath();
      if (!real.startsWith(folder.toRealPath())) {
        throw PortcheckException.unsafe(
            model,
            "external data path '"
                + location
                + "' of tensor '"
                + t.getName()
                + "' is a link to "
                + real
                + ", outside the model's folder");
      }
      return real;
    } catch (IOException e) {
      throw PortcheckException.unreadable(resolved, e);
    }
  }

  /** The tensor's bytes, read from its external file ({@code offset}/{@code length} honoured). */
  byte[] read(TensorProto t) {
    Path file = check(t);
    long offset = parseLong(t, "offset", 0);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long length = parseLong(t, "length", size - offset);
      if (offset < 0 || length < 0 || offset + length > size) {
        throw PortcheckException.truncated(
            file,
            "tensor '"
                + t.getName()
                + "' needs bytes "
                + offset
                + ".."
                + (offset + length)
                + " but the file has "
                + size);
      }
      if (length > Integer.MAX_VALUE - 8) {
        throw PortcheckException.notRunnable(
            model, "external tensor '" + t.getName() + "' is larger than 2 GB");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) length);
      while (buf.hasRemaining()) {
        if (ch.read(buf, offset + buf.position()) < 0) {
          throw PortcheckException.truncated(file, "ended early in tensor '" + t.getName() + "'");
        }
      }
      return buf.array();
    } catch (IOException e) {
      throw PortcheckException.unreadable(file, e);
    }
  }

  private long parseLong(TensorProto t, String key, long fallback) {
    String v = entry(t, key);
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw PortcheckException.corrupt(
          model, "external data " + key + " '" + v + "' of tensor '" + t.getName() + "'", e);
    }
  }

  private static String entry(TensorProto t, String key) {
    for (StringStringEntryProto e : t.getExternalDataList()) {
      if (key.equals(e.getKey())) {
        return e.getValue();
      }
    }
    return null;
  }
}
